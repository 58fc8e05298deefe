import type { FetchLike, Transport, TransportResponse } from '../types.js';
import { TimeoutError } from './timeout-error.js';

/** fetch-based transport for browsers, Deno, Bun and edge runtimes (and Node when injected explicitly). */
export function createFetchTransport(
  fetchImpl: FetchLike = (globalThis as { fetch?: FetchLike }).fetch as FetchLike,
): Transport {
  if (typeof fetchImpl !== 'function') {
    throw new Error('odpkit: no fetch in this runtime; pass a transport option');
  }
  return {
    async request(req) {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, req.timeout);
      try {
        const res = await fetchImpl(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          signal: controller.signal,
          // Only asked for bodies within the browser's keepalive budget (the dispatcher keeps the count).
          ...(req.keepalive === true ? { keepalive: true } : {}),
        });
        const body = await res.text();
        const headers: TransportResponse['headers'] = {};
        res.headers.forEach((value, name) => {
          headers[name.toLowerCase()] = value;
        });
        return { status: res.status, headers, body };
      } catch (err) {
        throw timedOut ? new TimeoutError(req.timeout) : err;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
