import * as http from 'node:http';
import * as https from 'node:https';
import type { Transport, TransportRequest, TransportResponse } from '../types.js';
import { TimeoutError } from './timeout-error.js';
import { unrefTimeout } from './timers.js';

// Responses we read are small (202 acks, 4xx problem details, datafiles); this caps what a hostile server can make
// us buffer.
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * node:http / node:https with a keep-alive Agent: ~40 µs of CPU per loopback request against ~300 µs for Node's
 * fetch. maxSockets bounds connections per host; idle pooled sockets are unref'd by Node's Agent, so they never
 * hold a finished process open, while a request in flight does (which is what delivers events at exit).
 *
 * Only the Node entry point imports this module, so node:http is imported statically: a CommonJS build then requires
 * it, where a dynamic import() fails in hosts without a dynamic-import callback (vm scripts, as Jest runs CommonJS).
 */
export function createNodeTransport(options: { maxSockets: number }): Transport {
  const mods = { http, https };
  const agents: { http?: http.Agent; https?: http.Agent } = {};

  const agentFor = (secure: boolean): http.Agent => {
    const key = secure ? 'https' : 'http';
    let agent = agents[key];
    if (agent === undefined) {
      agent = new mods[key].Agent({
        keepAlive: true,
        maxSockets: options.maxSockets,
        maxFreeSockets: options.maxSockets,
        scheduling: 'lifo',
      });
      agents[key] = agent;
    }
    return agent;
  };

  const send = (req: TransportRequest): Promise<TransportResponse> =>
    new Promise((resolve, reject) => {
      const secure = req.url.startsWith('https:');
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
      let settled = false;
      const finish = (err: Error | undefined, res?: TransportResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res!);
      };
      const r = mods[secure ? 'https' : 'http'].request(
        req.url,
        { method: req.method, headers, agent: agentFor(secure) },
        (res) => {
          res.setEncoding('utf8');
          let body = '';
          res.on('data', (chunk: string) => {
            if (body.length < MAX_RESPONSE_BYTES) body += chunk;
          });
          res.on('end', () =>
            finish(undefined, {
              status: res.statusCode ?? 0,
              headers: res.headers as TransportResponse['headers'],
              body,
            }),
          );
          res.on('error', (err) => finish(err));
        },
      );
      // The whole exchange, not socket idleness: a server trickling bytes must not stretch it.
      const timer = (req.unref ? unrefTimeout : setTimeout)(() => {
        const err = new TimeoutError(req.timeout);
        r.destroy(err);
        finish(err);
      }, req.timeout);
      r.on('error', (err) => finish(err));
      // An event batch: the dispatcher decides how long the process stays open for it (see TransportRequest.unref).
      if (req.unref) r.on('socket', (socket) => socket.unref());
      r.end(req.body);
    });

  return {
    request: send,
    close() {
      agents.http?.destroy();
      agents.https?.destroy();
    },
  };
}
