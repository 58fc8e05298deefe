import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * How the sink answers request number `index` (0-based, over all requests). 'hang' never answers (a stuck
 * server); 'destroy' drops the connection without a response.
 */
export type Responder = (req: RecordedRequest, index: number) => Reply | 'hang' | 'destroy' | Promise<Reply | 'hang'>;

export interface Sink {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Every event of every POST /v3/events body, in arrival order. */
  events: Array<Record<string, unknown> & { data: Record<string, unknown>; identifiers: Record<string, string> }>;
  connections: { total: number; open: number; maxOpen: number };
  /** Resolves once at least n events have arrived. */
  waitForEvents(n: number): Promise<void>;
  /** Resolves once at least n requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  /** Requests being answered right now, and the most at once (counted by the server, whatever the transport). */
  inFlight: { now: number; max: number };
  /** Stops listening and drops every connection (a server going down); restart() listens on the same port again. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const ACCEPTED: Reply = {
  status: 202,
  headers: { 'content-type': 'application/json' },
  body: '{"title":"Accepted","status":202,"timestamp":"2026-01-01T00:00:00.000Z"}',
};

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type,x-api-key',
  'access-control-allow-methods': 'POST, GET, OPTIONS',
};

/**
 * A real HTTP server on 127.0.0.1 that records what the SDK sends: the edge we test against instead of mocking
 * fetch. It counts TCP connections (total, and most open at once) so tests can check the in-flight bound.
 */
export async function startSink(
  options: {
    respond?: Responder;
    /** Extra routes (e.g. a datafile): return true when handled. */
    route?: (req: IncomingMessage, res: ServerResponse, body: string) => boolean | Promise<boolean>;
    cors?: boolean;
  } = {},
): Promise<Sink> {
  const requests: RecordedRequest[] = [];
  const events: Sink['events'] = [];
  const connections = { total: 0, open: 0, maxOpen: 0 };
  const inFlight = { now: 0, max: 0 };
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (options.cors) {
      for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
    }
    if (options.route && (await options.route(req, res, body))) return;
    const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    const index = requests.length;
    requests.push(rec);
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    notify();
    const reply = options.respond ? await options.respond(rec, index) : ACCEPTED;
    if (reply === 'hang') return; // stays counted as in flight
    inFlight.now--;
    if (reply === 'destroy') {
      req.socket.destroy();
      notify();
      return;
    }
    if (reply.status >= 200 && reply.status < 300 && req.method === 'POST' && req.url === '/v3/events') {
      const parsed = JSON.parse(body) as Sink['events'];
      for (const e of parsed) events.push(e);
    }
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body ?? '');
    notify();
  });
  // Long keep-alive so connection counts reflect the client's pooling, not the server closing idle sockets.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    connections.total++;
    connections.open++;
    connections.maxOpen = Math.max(connections.maxOpen, connections.open);
    socket.on('close', () => {
      connections.open--;
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const until = (cond: () => boolean) =>
    new Promise<void>((resolve) => {
      if (cond()) return resolve();
      const w = () => {
        if (cond()) {
          waiters.delete(w);
          resolve();
        }
      };
      waiters.add(w);
    });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    events,
    connections,
    waitForEvents: (n) => until(() => events.length >= n),
    waitForRequests: (n) => until(() => requests.length >= n),
    inFlight,
    stop,
    restart: async () => {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
