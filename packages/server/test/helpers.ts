import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, type ServerOptions, startServer } from '@odpkit/server';
import { describe } from 'vitest';
import { createTestSchema, describePg, type TestSchema } from './helpers/pg.js';

/** A fixed clock, so response bodies can be compared whole. */
export const FIXED_NOW = 1_700_000_000_000;
export const FIXED_ISO = new Date(FIXED_NOW).toISOString();

/** The two stores every HTTP-level suite runs against: PostgreSQL must behave exactly as SQLite does. */
export type StoreKind = 'sqlite' | 'postgres';

/**
 * Defines the block once per store, titled "[sqlite] name" and "[postgres] name". The PostgreSQL block follows
 * describePg: without ODPKIT_TEST_PG_URL it is skipped loudly (a title saying how to run it, and a warning), unless
 * ODPKIT_REQUIRE_PG=1, where a missing or unreachable database fails.
 */
export function describeStores(name: string, body: (store: StoreKind) => void): void {
  describe(`[sqlite] ${name}`, () => body('sqlite'));
  describePg(`[postgres] ${name}`, () => body('postgres'));
}

export interface TestDb {
  store: StoreKind;
  /** What `--db` is given: a SQLite file path, or a postgres:// URL naming a fresh schema. */
  db: string;
  /** The PostgreSQL schema, for the few PG-only tests that look at rows; null for SQLite. */
  schema: TestSchema | null;
  /** Deletes the file (and its WAL) or drops the schema. */
  drop(): Promise<void>;
}

/** A fresh, empty database of the given kind: a SQLite file in a temp dir, or a new PostgreSQL schema. */
export async function createTestDb(store: StoreKind = 'sqlite'): Promise<TestDb> {
  if (store === 'postgres') {
    const schema = await createTestSchema();
    return { store, db: schema.url, schema, drop: () => schema.drop() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-server-test-'));
  return {
    store,
    db: join(dir, 'odpkit.db'),
    schema: null,
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestServerOptions extends Omit<ServerOptions, 'db'> {
  /** Which store the server runs on (default SQLite); either way a fresh database, removed on close. */
  store?: StoreKind;
}

export interface TestServer extends RunningServer, Omit<TestDb, 'store' | 'drop'> {
  storeKind: StoreKind;
}

/** A real server on 127.0.0.1 over a fresh SQLite file or PostgreSQL schema, silent. */
export async function startTestServer({ store = 'sqlite', ...options }: TestServerOptions = {}): Promise<TestServer> {
  const testDb = await createTestDb(store);
  let server: RunningServer;
  try {
    server = await startServer({ port: 0, logger: false, ...options, db: testDb.db });
  } catch (err) {
    await testDb.drop();
    throw err;
  }
  const close = server.close.bind(server);
  let closing: Promise<void> | null = null;
  return Object.assign(server, {
    storeKind: store,
    db: testDb.db,
    schema: testDb.schema,
    close() {
      closing ??= (async () => {
        await close();
        await testDb.drop();
      })();
      return closing;
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
