import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type AccountRow, toAccount } from '../shared/accounts.js';
import { statsFromCounters } from '../shared/counters.js';
import { identifiersRecord, lookupIdentity } from '../shared/identifiers.js';
import { parseId } from '../shared/ids.js';
import type { CustomerView, SegmentDefinitionRow, Store } from '../store.js';
import { lazyStoredEvent } from '../stored-event.js';
import { applyPragmas, migrate } from './schema.js';
import { runWriter, type WriterData, type WriterReply, type WriterRequest } from './writer-thread.js';
import { createWrites, type Writes } from './writes.js';

export interface SqliteStoreOptions {
  /** Page cache in MiB; large enough to hold the dedup and identity trees' hot pages at millions of rows. */
  cacheMiB?: number;
  now?: () => number;
}

type AsyncWrites = { [K in keyof Writes]: (...args: Parameters<Writes[K]>) => Promise<ReturnType<Writes[K]>> };

interface Writer extends AsyncWrites {
  close(): Promise<void>;
}

/** ':memory:' has one connection only: its writes run on it, synchronously, as before. */
function inProcessWriter(db: Database.Database): Writer {
  const w = createWrites(db);
  return {
    ingest: async (...a) => w.ingest(...a),
    createAccount: async (...a) => w.createAccount(...a),
    ensureDefaultAccount: async (...a) => w.ensureDefaultAccount(...a),
    putSegmentDefinition: async (...a) => w.putSegmentDefinition(...a),
    deleteSegmentDefinition: async (...a) => w.deleteSegmentDefinition(...a),
    healthCheck: async (...a) => w.healthCheck(...a),
    close: async () => {},
  };
}

let bundledWorkerSource: string | null = null;

const WRITER_MARKER = 'odpkitSqliteWriter';
if (!isMainThread && parentPort !== null && (workerData as Record<string, unknown> | null)?.[WRITER_MARKER] === true) {
  runWriter(parentPort, workerData as WriterData);
}

/**
 * The worker entry: next to the bundle in dist (tsup.config.ts emits dist/sqlite-writer.js from writer-entry.ts). Under Vitest this module
 * runs from its .ts source, which a worker thread cannot load on Node 20, so the entry is bundled on the fly with
 * esbuild (a dev dependency, through tsup) into CommonJS source and started with `eval`.
 */
function spawnWriterThread(data: WriterData): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) {
    const entry = new URL('./sqlite-writer.js', self);
    if (existsSync(entry)) return new Worker(entry, { workerData: data });
    // A build of src/index.ts alone (e.g. `tsup src/index.ts`, as bench/ingest --server-head does) has no second
    // entry: the thread then loads this bundle itself, and the marker below makes it serve writes.
    return new Worker(new URL(self), { workerData: { ...data, [WRITER_MARKER]: true } });
  }
  if (bundledWorkerSource === null) {
    const require = createRequire(self);
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL('./writer-entry.ts', self))],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['better-sqlite3'],
      write: false,
    });
    const sqlite = JSON.stringify(require.resolve('better-sqlite3'));
    bundledWorkerSource = (out.outputFiles[0] as { text: string }).text.replaceAll(
      'require("better-sqlite3")',
      `require(${sqlite})`,
    );
  }
  return new Worker(bundledWorkerSource, { eval: true, workerData: data });
}

/**
 * The writer thread seen from the main thread: one request at a time in flight per caller, answered in order.
 * The thread is ref'd only while a request is in flight, so an idle store never keeps the process alive, and a
 * pending `await store.ingest()` always does.
 */
function threadWriter(data: WriterData): Writer {
  const worker = spawnWriterThread(data);
  worker.unref();
  const inFlight = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let failure: Error | null = null;
  let closing: Promise<void> | null = null;

  const settleAll = (err: Error) => {
    failure ??= err;
    for (const p of inFlight.values()) p.reject(err);
    inFlight.clear();
  };
  worker.on('message', (reply: WriterReply) => {
    const p = inFlight.get(reply.id);
    if (!p) return;
    inFlight.delete(reply.id);
    if (inFlight.size === 0) worker.unref();
    if (reply.ok) p.resolve(reply.value);
    else {
      const err = new Error(reply.error.message);
      err.name = reply.error.name;
      if (reply.error.code !== undefined) (err as Error & { code: string }).code = reply.error.code;
      if (reply.error.stack !== undefined) err.stack = reply.error.stack;
      p.reject(err);
    }
  });
  worker.on('error', (err) => settleAll(err instanceof Error ? err : new Error(String(err))));
  worker.on('exit', (code) => settleAll(new Error(`the SQLite writer thread exited (code ${code})`)));

  function call(op: keyof Writes, args: unknown[]): Promise<never> {
    if (closing !== null) return Promise.reject(new Error('the store is closed'));
    if (failure !== null) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      inFlight.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (inFlight.size === 1) worker.ref();
      worker.postMessage({ id, op, args } satisfies WriterRequest);
    });
  }

  return {
    ingest: (...a) => call('ingest', a),
    createAccount: (...a) => call('createAccount', a),
    ensureDefaultAccount: (...a) => call('ensureDefaultAccount', a),
    putSegmentDefinition: (...a) => call('putSegmentDefinition', a),
    deleteSegmentDefinition: (...a) => call('deleteSegmentDefinition', a),
    healthCheck: (...a) => call('healthCheck', a),
    close() {
      closing ??= (async () => {
        // Requests already posted are answered first (the thread handles messages in order), then it closes its
        // connection (which checkpoints the WAL) and ends.
        if (failure !== null) {
          await worker.terminate();
          return;
        }
        const exited = new Promise<void>((r) => worker.once('exit', () => r()));
        worker.ref();
        worker.postMessage({ close: true } satisfies WriterRequest);
        await exited;
      })();
      return closing;
    },
  };
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const memory = path === ':memory:' || path === '';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const cacheMiB = options.cacheMiB ?? 64;
  // The main thread's connection: it creates the schema, then serves every read. A file store's writes go to the
  // writer thread's own connection; in WAL mode this connection sees each transaction once its COMMIT has returned,
  // and never waits for a commit in progress.
  const db = new Database(path);
  applyPragmas(db, cacheMiB);
  migrate(db);
  const now = options.now ?? Date.now;
  const writer = memory ? inProcessWriter(db) : threadWriter({ path, cacheMiB });

  const q = {
    owner: db.prepare('SELECT customer_id FROM identities WHERE account_id = ? AND type = ? AND value = ?').pluck(),
    idsOf: db.prepare('SELECT type, value FROM identities WHERE customer_id = ? ORDER BY type, value'),
    stats: db.prepare('SELECT * FROM account_counters WHERE account_id = ?'),
    eventsOf: db.prepare(`SELECT type, action, identifiers, data, received_at FROM events
      WHERE account_id = ? AND customer_id = ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT ?`),
    eventCount: db.prepare('SELECT COUNT(*) FROM events WHERE account_id = ? AND customer_id = ?').pluck(),
    byPublic: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE public_key = ?'),
    byPrivate: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE private_key = ?'),
    listSegments: db.prepare(
      'SELECT name, definition, updated_at FROM segment_definitions WHERE account_id = ? ORDER BY name',
    ),
  };

  function findCustomer(account: string, key: string, value: string): number | null {
    const identity = lookupIdentity(key, value);
    if (identity === null) return null;
    return (q.owner.get(account, identity.type, identity.value) as number | undefined) ?? null;
  }

  const store: Store = {
    async ingest(batches) {
      return writer.ingest(batches);
    },

    async lookupCustomer(accountId, key, value) {
      const account = parseId(accountId);
      if (account === null) return null;
      const customer = findCustomer(account, key, value);
      if (customer === null) return null;
      const identifiers = identifiersRecord(q.idsOf.all(customer) as { type: string; value: string }[]);
      return { customerId: String(customer), identifiers } satisfies CustomerView;
    },

    async customerEvents(accountId, customerId, options = {}) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return [];
      const limit = options.limit ?? -1; // SQLite: a negative LIMIT means no limit
      const rows = q.eventsOf.all(account, customer, options.sinceMs ?? 0, limit) as {
        type: string;
        action: string;
        identifiers: string;
        data: string;
        received_at: number;
      }[];
      return rows.map((r) => lazyStoredEvent(r.type, r.action, r.identifiers, r.data, r.received_at));
    },

    async customerEventCount(accountId, customerId) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return 0;
      return q.eventCount.get(account, customer) as number;
    },

    async accountStats(accountId) {
      const account = parseId(accountId);
      return statsFromCounters(account === null ? undefined : (q.stats.get(account) as Record<string, number>));
    },

    async listSegmentDefinitions(accountId) {
      const account = parseId(accountId);
      if (account === null) return [];
      return (q.listSegments.all(account) as { name: string; definition: string; updated_at: number }[]).map(
        (r): SegmentDefinitionRow => ({ name: r.name, definition: JSON.parse(r.definition), updatedAt: r.updated_at }),
      );
    },

    async putSegmentDefinition(accountId, name, definition) {
      const account = parseId(accountId);
      if (account === null) throw new Error(`unknown account ${accountId}`);
      await writer.putSegmentDefinition(account, name, JSON.stringify(definition), now());
    },

    async deleteSegmentDefinition(accountId, name) {
      const account = parseId(accountId);
      if (account === null) return false;
      return writer.deleteSegmentDefinition(account, name);
    },

    async accountByPublicKey(key) {
      const row = q.byPublic.get(key) as AccountRow | undefined;
      return row ? toAccount(row) : null;
    },

    async accountByPrivateKey(key) {
      const row = q.byPrivate.get(key) as AccountRow | undefined;
      return row ? toAccount(row) : null;
    },

    async createAccount(keys) {
      return toAccount(await writer.createAccount(keys.publicKey, keys.privateKey, now()));
    },

    async ensureDefaultAccount(given, fresh) {
      return toAccount(await writer.ensureDefaultAccount(given, fresh, now()));
    },

    async healthCheck() {
      await writer.healthCheck(now());
    },

    async close() {
      await writer.close();
      if (db.open) db.close();
    },
  };
  return store;
}
