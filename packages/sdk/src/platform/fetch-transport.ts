import type { Transport, TransportResponse } from '../types.js';
import { TimeoutError } from './timeout-error.js';

/** fetch-based transport for browsers, Deno, Bun and edge runtimes (and Node when injected explicitly). */
export function createFetchTransport(fetchImpl: typeof fetch = globalThis.fetch): Transport {
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
          // A Uint8Array is a valid BodyInit everywhere; the DOM typings narrow it to ArrayBuffer-backed views.
          body: req.body as BodyInit | undefined,
          signal: controller.signal,
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
