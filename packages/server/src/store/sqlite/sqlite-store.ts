import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { type AccountRow, toAccount } from '../common/accounts.js';
import { statsFromCounters } from '../common/counters.js';
import { identifiersRecord, lookupIdentity } from '../common/identifiers.js';
import { parseId } from '../common/ids.js';
import type { CustomerView, SegmentDefinitionRow, Store } from '../store.js';
import { eventPage, eventPageQuery, lazyStoredEvent } from '../stored-event.js';
import { createLifecycleReads } from './lifecycle-reads.js';
import { applyPragmas, type EventRow, migrate } from './schema.js';
import { createStateReads, migrateSegmentState } from './segment-state.js';
import { inProcessWriter, startWriterThread } from './writer.js';

export interface SqliteStoreOptions {
  /** Page cache in MiB; large enough to hold the dedup and identity trees' hot pages at millions of rows. */
  cacheMiB?: number;
  now?: () => number;
}

/** What is at the database's directory, for an error message: the usual cause of "unable to open database file". */
function directoryState(path: string): string {
  const dir = dirname(resolve(path));
  try {
    return statSync(dir).isDirectory() ? `its directory ${dir} exists` : `${dir} is not a directory`;
  } catch {
    return `its directory ${dir} does not exist and could not be created`;
  }
}

/** Opens (creating the directory and the schema if needed); a failure names the path, which SQLite's message does not. */
function openMainConnection(path: string, memory: boolean, cacheMiB: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    applyPragmas(db, cacheMiB);
    migrate(db);
    migrateSegmentState(db);
    return db;
  } catch (err) {
    db?.close();
    const message = (err as Error).message;
    throw new Error(`cannot open the SQLite database ${path} (${directoryState(path)}): ${message}`, { cause: err });
  }
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const memory = path === ':memory:' || path === '';
  const cacheMiB = options.cacheMiB ?? 64;
  // The main thread's connection: it creates the schema, then serves every read. A file store's writes go to the
  // writer thread's own connection; in WAL mode this connection sees each transaction once its COMMIT has returned,
  // and never waits for a commit in progress.
  const db = openMainConnection(path, memory, cacheMiB);
  const now = options.now ?? Date.now;
  const writer = memory ? inProcessWriter(db) : startWriterThread({ path, cacheMiB });

  const q = {
    owner: db.prepare('SELECT customer_id FROM identities WHERE account_id = ? AND type = ? AND value = ?').pluck(),
    idsOf: db.prepare('SELECT type, value FROM identities WHERE customer_id = ? ORDER BY type, value'),
    stats: db.prepare('SELECT * FROM account_counters WHERE account_id = ?'),
    eventsOf: db.prepare(`SELECT type, action, identifiers, data, received_at FROM events
      WHERE account_id = ? AND customer_id = ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT ?`),
    eventPage: db.prepare(`SELECT id, type, action, identifiers, data, received_at FROM events
      WHERE account_id = ? AND customer_id = ? AND (received_at < ? OR (received_at = ? AND id < ?))
      ORDER BY received_at DESC, id DESC LIMIT ?`),
    customerIds: db
      .prepare('SELECT id FROM customers WHERE account_id = ? AND merged_into IS NULL AND id > ? ORDER BY id LIMIT ?')
      .pluck(),
    // LIMIT -1 is no limit; a bound stops the count there, so an admin view costs the same for any history.
    eventCount: db
      .prepare('SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE account_id = ? AND customer_id = ? LIMIT ?)')
      .pluck(),
    byPublic: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE public_key = ?'),
    byPrivate: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE private_key = ?'),
    listSegments: db.prepare(
      'SELECT name, definition, updated_at FROM segment_definitions WHERE account_id = ? ORDER BY name',
    ),
  };

  const stateReads = createStateReads(db);
  const lifecycle = createLifecycleReads(db);

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

    async customerEventPage(accountId, customerId, page) {
      const query = eventPageQuery(accountId, customerId, page);
      if (query === null) return { events: [], next: null };
      const { account, customer, before, fetch } = query;
      const rows = q.eventPage.all(
        account,
        customer,
        before.receivedAt,
        before.receivedAt,
        before.id,
        fetch,
      ) as EventRow[];
      return eventPage(rows, page.limit, (r) =>
        lazyStoredEvent(r.type, r.action, r.identifiers, r.data, r.received_at),
      );
    },

    async customerEventCount(accountId, customerId, atMost) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return 0;
      return q.eventCount.get(account, customer, atMost ?? -1) as number;
    },

    async customerPage(accountId, after, limit) {
      const account = parseId(accountId);
      const from = after === null ? '0' : parseId(after);
      if (account === null || from === null) return [];
      return (q.customerIds.all(account, from, limit) as number[]).map((id) => ({
        customerId: String(id),
        identifiers: identifiersRecord(q.idsOf.all(id) as { type: string; value: string }[]),
      }));
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

    async putSegmentDefinition(accountId, name, definition, leaves) {
      const account = parseId(accountId);
      if (account === null) throw new Error(`unknown account ${accountId}`);
      await writer.putSegmentDefinition(account, name, JSON.stringify(definition), now(), leaves);
    },

    async linkSegmentLeaves(accountId, name, updatedAt, leaves) {
      const account = parseId(accountId);
      if (account === null) return false;
      return writer.linkSegmentLeaves(account, name, updatedAt, leaves);
    },

    async segmentState(accountId, customerId) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return [];
      return stateReads.state(Number(account), Number(customer));
    },

    async segmentStateProgress(accountId) {
      const account = parseId(accountId);
      return account === null ? [] : stateReads.progress(Number(account));
    },

    async buildSegmentState(maxEvents) {
      return writer.buildSegmentState(maxEvents);
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

    async deleteCustomer(accountId, key, value) {
      const account = parseId(accountId);
      const identity = lookupIdentity(key, value);
      if (account === null || identity === null) return null;
      return writer.deleteCustomer(Number(account), identity.type, identity.value);
    },

    async exportEvents(accountId, page) {
      const account = parseId(accountId);
      return account === null ? [] : lifecycle.exportEvents(Number(account), page);
    },

    async lastEventId() {
      return lifecycle.lastEventId();
    },

    async deleteEventsBefore(cutoffMs, limit) {
      return writer.deleteEventsBefore(cutoffMs, limit);
    },

    async oldestEventAt(accountId) {
      const account = parseId(accountId);
      return account === null ? null : lifecycle.oldestEventAt(Number(account));
    },

    async healthCheck() {
      await writer.healthCheck(now());
    },

    async diagnostics() {
      return { driver: 'sqlite', settings: await writer.settings() };
    },

    async close() {
      await writer.close();
      if (db.open) db.close();
    },
  };
  return store;
}
