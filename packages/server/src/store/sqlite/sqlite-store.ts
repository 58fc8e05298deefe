import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { normaliseKey, normaliseValue } from '../../ingest/identifiers.js';
import { type CustomerId, type IdentityGraphTx, stitch } from '../../ingest/stitch.js';
import type {
  Account,
  AccountStats,
  CustomerView,
  IngestBatch,
  IngestOutcome,
  SegmentDefinitionRow,
  Store,
  StoredEvent,
} from '../store.js';
import { dedupKey } from './dedup-key.js';
import { applyPragmas, migrate } from './schema.js';

export interface SqliteStoreOptions {
  /** Page cache in MiB; large enough to hold the dedup and identity trees' hot pages at millions of rows. */
  cacheMiB?: number;
  now?: () => number;
}

interface AccountRow {
  id: number;
  public_key: string;
  private_key: string;
}

const toAccount = (r: AccountRow): Account => ({
  id: String(r.id),
  publicKey: r.public_key,
  privateKey: r.private_key,
});

/** Account and customer ids cross the interface as strings; anything that is not a positive integer matches nothing. */
function parseId(id: string): number | null {
  return /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : null;
}

function emptyOutcome(): IngestOutcome {
  return {
    stored: 0,
    duplicates: 0,
    unattributed: 0,
    customersCreated: 0,
    merges: 0,
    refusedMerges: 0,
    vuidMoves: 0,
    cappedIdentifiers: 0,
    ignoredIdentifiers: 0,
  };
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  applyPragmas(db, options.cacheMiB ?? 64);
  migrate(db);
  const now = options.now ?? Date.now;

  const q = {
    dedup: db.prepare('INSERT OR IGNORE INTO dedup (account_id, key) VALUES (?, ?)'),
    owner: db.prepare('SELECT customer_id FROM identities WHERE account_id = ? AND type = ? AND value = ?').pluck(),
    idsOf: db.prepare('SELECT type, value FROM identities WHERE customer_id = ? ORDER BY type, value'),
    newCustomer: db.prepare('INSERT INTO customers (account_id, created_at) VALUES (?, ?)'),
    addIdentity: db.prepare('INSERT INTO identities (account_id, type, value, customer_id) VALUES (?, ?, ?, ?)'),
    moveIdentity: db.prepare('UPDATE identities SET customer_id = ? WHERE account_id = ? AND type = ? AND value = ?'),
    moveAllIdentities: db.prepare('UPDATE identities SET customer_id = ? WHERE customer_id = ?'),
    moveEvents: db.prepare('UPDATE events SET customer_id = ? WHERE account_id = ? AND customer_id = ?'),
    markMerged: db.prepare('UPDATE customers SET merged_into = ? WHERE id = ?'),
    recordMerge: db.prepare('INSERT INTO merges (account_id, from_customer, into_customer, at) VALUES (?, ?, ?, ?)'),
    recordRefused: db.prepare(
      'INSERT INTO refused_merges (account_id, kept_customer, refused_customer, type, at) VALUES (?, ?, ?, ?, ?)',
    ),
    insertEvent: db.prepare(
      'INSERT INTO events (account_id, customer_id, received_at, type, action, identifiers, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    counters:
      db.prepare(`INSERT INTO account_counters (account_id, customers, events, unattributed, duplicates, merges, refused_merges)
      VALUES (@account, @customers, @events, @unattributed, @duplicates, @merges, @refused)
      ON CONFLICT (account_id) DO UPDATE SET customers = customers + excluded.customers, events = events + excluded.events,
        unattributed = unattributed + excluded.unattributed, duplicates = duplicates + excluded.duplicates,
        merges = merges + excluded.merges, refused_merges = refused_merges + excluded.refused_merges`),
    stats: db.prepare('SELECT * FROM account_counters WHERE account_id = ?'),
    eventsOf: db.prepare(`SELECT type, action, identifiers, data, received_at FROM events
      WHERE account_id = ? AND customer_id = ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT ?`),
    eventCount: db.prepare('SELECT COUNT(*) FROM events WHERE account_id = ? AND customer_id = ?').pluck(),
    byPublic: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE public_key = ?'),
    byPrivate: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE private_key = ?'),
    defaultAccount: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE is_default = 1'),
    insertAccount: db.prepare(
      'INSERT INTO accounts (public_key, private_key, is_default, created_at) VALUES (?, ?, ?, ?) RETURNING id, public_key, private_key',
    ),
    updateKeys: db.prepare('UPDATE accounts SET public_key = ?, private_key = ? WHERE id = ?'),
    listSegments: db.prepare(
      'SELECT name, definition, updated_at FROM segment_definitions WHERE account_id = ? ORDER BY name',
    ),
    putSegment:
      db.prepare(`INSERT INTO segment_definitions (account_id, name, definition, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (account_id, name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`),
    deleteSegment: db.prepare('DELETE FROM segment_definitions WHERE account_id = ? AND name = ?'),
    healthWrite: db.prepare(
      'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
    ),
    healthRead: db.prepare('SELECT checked_at FROM health WHERE id = 1').pluck(),
  };

  function identifiersOf(customer: CustomerId): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const row of q.idsOf.all(customer) as { type: string; value: string }[]) {
      const list = map.get(row.type);
      if (list) list.push(row.value);
      else map.set(row.type, [row.value]);
    }
    return map;
  }

  /** The graph that stitch() works on, bound to one account and one moment, inside the write transaction. */
  function graphFor(account: number, at: number): IdentityGraphTx {
    return {
      ownerOf: (type, value) => (q.owner.get(account, type, value) as number | undefined) ?? null,
      identifiersOf,
      createCustomer: () => Number(q.newCustomer.run(account, at).lastInsertRowid),
      addIdentity: (customer, type, value) => void q.addIdentity.run(account, type, value, customer),
      moveIdentity: (type, value, to) => void q.moveIdentity.run(to, account, type, value),
      merge: (from, into) => {
        q.moveAllIdentities.run(into, from);
        q.moveEvents.run(into, account, from);
        // Audit only: reads never follow merged_into, because identities and events have moved. (Re-pointing older
        // merged_into rows here was a full scan of customers per merge, which made ingestion decay with table size.)
        q.markMerged.run(into, from);
        q.recordMerge.run(account, from, into, at);
      },
      recordRefusedMerge: (kept, refused, type) => void q.recordRefused.run(account, kept, refused, type, at),
    };
  }

  const ingestTx = db.transaction((batches: IngestBatch[]): IngestOutcome[] => {
    const outcomes: IngestOutcome[] = [];
    const perAccount = new Map<
      number,
      { customers: number; events: number; unattributed: number; duplicates: number; merges: number; refused: number }
    >();
    for (const batch of batches) {
      const account = Number(batch.accountId);
      const outcome = emptyOutcome();
      const graph = graphFor(account, batch.receivedAt);
      for (const ev of batch.events) {
        if (ev.idempotenceId !== null && q.dedup.run(account, dedupKey(ev.idempotenceId)).changes === 0) {
          outcome.duplicates++;
          continue;
        }
        const s = stitch(graph, ev.identities);
        q.insertEvent.run(account, s.customer, batch.receivedAt, ev.type, ev.action, ev.identifiersJson, ev.dataJson);
        outcome.stored++;
        outcome.ignoredIdentifiers += ev.ignoredIdentifiers;
        if (s.customer === null) outcome.unattributed++;
        outcome.customersCreated += s.customersCreated;
        outcome.merges += s.merges;
        outcome.refusedMerges += s.refusedMerges;
        outcome.vuidMoves += s.vuidMoves;
        outcome.cappedIdentifiers += s.capped;
      }
      outcomes.push(outcome);
      const c = perAccount.get(account) ?? {
        customers: 0,
        events: 0,
        unattributed: 0,
        duplicates: 0,
        merges: 0,
        refused: 0,
      };
      c.customers += outcome.customersCreated - outcome.merges;
      c.events += outcome.stored;
      c.unattributed += outcome.unattributed;
      c.duplicates += outcome.duplicates;
      c.merges += outcome.merges;
      c.refused += outcome.refusedMerges;
      perAccount.set(account, c);
    }
    for (const [account, c] of perAccount) q.counters.run({ account, ...c });
    return outcomes;
  });

  function findCustomer(account: number, key: string, value: string): number | null {
    const type = normaliseKey(key);
    const v = normaliseValue(type, value);
    if (v === null) return null;
    return (q.owner.get(account, type, v) as number | undefined) ?? null;
  }

  const store: Store = {
    async ingest(batches) {
      // BEGIN IMMEDIATE: take the write lock up front, so another process on the same file cannot deadlock an upgrade.
      return ingestTx.immediate(batches);
    },

    async lookupCustomer(accountId, key, value) {
      const account = parseId(accountId);
      if (account === null) return null;
      const customer = findCustomer(account, key, value);
      if (customer === null) return null;
      const identifiers: Record<string, string[]> = Object.create(null);
      for (const [type, values] of identifiersOf(customer)) identifiers[type] = values;
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
      return rows.map(
        (r): StoredEvent => ({
          type: r.type,
          action: r.action,
          identifiers: JSON.parse(r.identifiers),
          data: JSON.parse(r.data),
          receivedAt: r.received_at,
        }),
      );
    },

    async customerEventCount(accountId, customerId) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return 0;
      return q.eventCount.get(account, customer) as number;
    },

    async accountStats(accountId) {
      const account = parseId(accountId);
      const row = (account === null ? undefined : q.stats.get(account)) as Record<string, number> | undefined;
      const stats: AccountStats = {
        customers: row?.['customers'] ?? 0,
        events: row?.['events'] ?? 0,
        unattributed: row?.['unattributed'] ?? 0,
        duplicates: row?.['duplicates'] ?? 0,
        merges: row?.['merges'] ?? 0,
        refusedMerges: row?.['refused_merges'] ?? 0,
      };
      return stats;
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
      q.putSegment.run(account, name, JSON.stringify(definition), now());
    },

    async deleteSegmentDefinition(accountId, name) {
      const account = parseId(accountId);
      if (account === null) return false;
      return q.deleteSegment.run(account, name).changes > 0;
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
      return toAccount(q.insertAccount.get(keys.publicKey, keys.privateKey, 0, now()) as AccountRow);
    },

    async ensureDefaultAccount(given, fresh) {
      return db
        .transaction((): Account => {
          const existing = q.defaultAccount.get() as AccountRow | undefined;
          if (!existing) {
            const row = q.insertAccount.get(
              given.publicKey ?? fresh.publicKey,
              given.privateKey ?? fresh.privateKey,
              1,
              now(),
            );
            return toAccount(row as AccountRow);
          }
          const publicKey = given.publicKey ?? existing.public_key;
          const privateKey = given.privateKey ?? existing.private_key;
          if (publicKey !== existing.public_key || privateKey !== existing.private_key) {
            q.updateKeys.run(publicKey, privateKey, existing.id);
          }
          return { id: String(existing.id), publicKey, privateKey };
        })
        .immediate();
    },

    async healthCheck() {
      db.transaction(() => {
        const at = now();
        q.healthWrite.run(at);
        if (q.healthRead.get() !== at) throw new Error('health row did not read back');
      }).immediate();
    },

    async close() {
      if (db.open) db.close();
    },
  };
  return store;
}
