import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { ensureDefaultAccount } from './accounts/accounts.js';
import { type AppOptions, createApp } from './app.js';
import { type Retention, startRetention } from './lifecycle/retention.js';
import { openPostgresStore } from './store/postgres/pg-store.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import type { Account, Store } from './store/store.js';

export interface ServerOptions extends Omit<AppOptions, 'store' | 'operatorAccountId'> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A SQLite file path, ':memory:', or a postgres:// (postgresql://) URL. */
  db?: string;
  publicKey?: string;
  privateKey?: string;
  /**
   * A segment file (JSON array of definitions) applied to the default account before listening: definitions in the
   * file are created or replaced, others are kept. An invalid file stops the start with every error listed.
   */
  segmentsFile?: string;
  /** SQLite page cache in MiB. */
  cacheMiB?: number;
  plugins?: FastifyPluginAsync[];
  /** Delete events older than `maxAgeMs` in the background (see lifecycle/retention.ts); off when omitted. */
  retention?: { maxAgeMs: number; intervalMs?: number; batchSize?: number };
}

export interface RunningServer {
  url: string;
  account: Account;
  app: FastifyInstance;
  store: Store;
  close(): Promise<void>;
}

export const DEFAULT_DB = './data/odpkit.db';

/** `scheme://` at the start of a --db value; a file path (even `C:\\…` or one containing `:`) has none. */
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const POSTGRES_SCHEMES = new Set(['postgres', 'postgresql']);

/**
 * Opens the store a --db value names: a postgres:// or postgresql:// URL (any letter case) is PostgreSQL; any other
 * `scheme://` is refused, rather than taken for a SQLite file named after the scheme; anything else is a SQLite file
 * path (or ':memory:'). Async because a PostgreSQL store connects and migrates before it can serve.
 */
export async function openStore(db: string, options: { cacheMiB?: number; now?: () => number } = {}): Promise<Store> {
  const scheme = URL_SCHEME.exec(db)?.[1]?.toLowerCase();
  if (scheme !== undefined && POSTGRES_SCHEMES.has(scheme)) {
    return openPostgresStore(db, options.now !== undefined ? { now: options.now } : {});
  }
  if (scheme !== undefined) {
    // Only the scheme is echoed: the rest of a URL may hold a password.
    throw new Error(
      `unsupported database URL scheme "${scheme}://": --db takes a postgres:// or postgresql:// URL (PostgreSQL), or a file path or :memory: (SQLite)`,
    );
  }
  return openSqliteStore(db, options);
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const store = await openStore(options.db ?? DEFAULT_DB, {
    ...(options.cacheMiB !== undefined ? { cacheMiB: options.cacheMiB } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  let app: FastifyInstance | undefined;
  try {
    const account = await ensureDefaultAccount(store, {
      ...(options.publicKey !== undefined ? { publicKey: options.publicKey } : {}),
      ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : {}),
    });
    app = createApp({
      ...options,
      logger: options.logger ?? true,
      store,
      operatorAccountId: account.id,
    });
    if (options.segmentsFile !== undefined) await applySegmentsFile(app, account.id, options.segmentsFile);
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8080);
    const host = options.host ?? '127.0.0.1';
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const running: FastifyInstance = app;
    const retention = options.retention === undefined ? null : retain(running, store, options);
    let closing: Promise<void> | null = null;
    return {
      url: `http://${urlHost}:${port}`,
      account,
      app: running,
      store,
      close() {
        closing ??= (async () => {
          await retention?.stop();
          await running.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await store.close();
    throw err;
  }
}

function retain(app: FastifyInstance, store: Store, options: ServerOptions): Retention {
  const r = options.retention as NonNullable<ServerOptions['retention']>;
  return startRetention(store, {
    ...r,
    now: options.now ?? Date.now,
    onPass: (deleted, cutoff) => {
      if (deleted > 0) app.log.info({ deleted, before: new Date(cutoff).toISOString() }, 'retention deleted events');
    },
    onError: (err) => app.log.error({ err }, 'retention pass failed; retrying at the next interval'),
  });
}

async function applySegmentsFile(app: FastifyInstance, accountId: string, file: string): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the segment file ${file}: ${(err as Error).message}`);
  }
  const result = await app.odpkit.segments.applyFile(accountId, json);
  if (!result.ok) throw new Error(`the segment file ${file} is invalid:\n  ${result.errors.join('\n  ')}`);
  app.log.info(
    { created: result.created, updated: result.updated, unchanged: result.unchanged },
    `segments applied from ${file}`,
  );
}
