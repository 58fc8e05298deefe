import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, type ServerOptions, startServer } from '@odpkit/server';

/** A fixed clock, so response bodies can be compared whole. */
export const FIXED_NOW = 1_700_000_000_000;
export const FIXED_ISO = new Date(FIXED_NOW).toISOString();

export interface TestServer extends RunningServer {
  dir: string;
}

/** A real server on 127.0.0.1 with a real SQLite file in a temp dir, silent. */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-server-test-'));
  const server = await startServer({ port: 0, db: join(dir, 'odpkit.db'), logger: false, ...options });
  const close = server.close.bind(server);
  return Object.assign(server, {
    dir,
    async close() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected loosely
  json: any;
}

/**
 * node:http rather than fetch: it keeps header-name case as written and sends any bytes we give it (invalid UTF-8,
 * gzip), which is what the wire tests need.
 */
export function request(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(options.path, baseUrl);
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

export function postEvents(
  server: { url: string },
  key: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return request(server.url, {
    method: 'POST',
    path: '/v3/events',
    headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

export function adminGet(server: { url: string }, privateKey: string, path: string): Promise<Reply> {
  return request(server.url, { path, headers: { authorization: `Bearer ${privateKey}` } });
}

export interface TestEvent {
  type: string;
  action: string;
  identifiers: Record<string, string>;
  data: Record<string, string | number | boolean | null>;
}

export function event(
  identifiers: Record<string, string>,
  data: TestEvent['data'] = {},
  action = 'purchased',
): TestEvent {
  return { type: 'fullstack', action, identifiers, data: { idempotence_id: randomUUID(), ...data } };
}
