import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { type IdentityGraphTx, MAX_IDENTIFIERS_PER_CUSTOMER, stitch } from '../../ingest/stitch.js';
import type { LeafSpec } from '../../segments/state/leaf.js';
import type { BuildStep } from '../../segments/state/source.js';
import { MatchableEvent, type StateBuffer } from '../../segments/state/state-buffer.js';
import { type AccountRow, planDefaultAccount } from '../common/accounts.js';
import { counterDeltas } from '../common/counters.js';
import { checkHealthRow } from '../common/health.js';
import { countStored, emptyOutcome, type IngestBatch, type IngestOutcome } from '../store.js';
import { dedupKey } from './dedup-key.js';
import { createLifecycleWrites, type LifecycleWrites } from './lifecycle-writes.js';
import { createStateWrites } from './segment-state.js';

/**
 * Every write of the SQLite store, as synchronous functions over one connection. They run on the writer connection,
 * which lives in a worker thread (writer-thread.ts) for a file store, or on the only connection for ':memory:'.
 * Values that come from the store's injectable clock are computed by the caller and passed in (`at`), so that a clock
 * function never has to cross a thread boundary.
 */

export interface Writes extends LifecycleWrites {
  ingest(batches: IngestBatch[]): IngestOutcome[];
  createAccount(publicKey: string, privateKey: string, at: number): AccountRow;
  /** Returns the default account after applying the given keys: the stored row, or the one just created. */
  ensureDefaultAccount(
    given: { publicKey?: string; privateKey?: string },
    fresh: { publicKey: string; privateKey: string },
    at: number,
  ): AccountRow;
  /** With `leaves`, also points the segment at exactly those state leaves (segment-state.ts). */
  putSegmentDefinition(account: string, name: string, definitionJson: string, at: number, leaves?: LeafSpec[]): void;
  deleteSegmentDefinition(account: string, name: string): boolean;
  linkSegmentLeaves(account: string, name: string, updatedAt: number, leaves: LeafSpec[]): boolean;
  buildSegmentState(maxEvents: number): BuildStep;
  /** Writes and reads back the health row, as big as the last failed ingestion (see below); throws if it cannot. */
  healthCheck(at: number): void;
  /** The writer connection's durability settings, as SQLite reports them. */
  settings(): Record<string, string | number>;
}

export type WriteOp = keyof Writes;

/** The pragmas an acknowledgement rests on (applyPragmas in schema.ts sets them), read back by settings(). */
const DURABILITY_PRAGMAS = ['journal_mode', 'synchronous', 'wal_autocheckpoint', 'busy_timeout'] as const;

/** SQLite result codes of a storage that cannot take writes: a full disk, an I/O error, a read-only file. */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/;

/**
 * The file a writer was opened on. If the file (or its whole directory) is deleted or replaced while the server runs,
 * SQLite keeps committing into the orphaned inode, which disappears with the process: every acknowledged event would
 * be lost. So after each commit, before the write is acknowledged, the path must still name the same file.
 */
function fileGuard(path: string): () => void {
  const opened = statSync(path);
  return () => {
    let now: ReturnType<typeof statSync>;
    try {
      now = statSync(path);
    } catch (err) {
      throw Object.assign(
        new Error(`the database file ${path} is gone (was it or its directory removed?): ${(err as Error).message}`),
        { code: 'SQLITE_IOERR_FILE_MOVED' },
      );
    }
    if (now.ino !== opened.ino || now.dev !== opened.dev) {
      throw Object.assign(new Error(`the database file ${path} was replaced by another file since it was opened`), {
        code: 'SQLITE_IOERR_FILE_MOVED',
      });
    }
  };
}

/** `file` is the database's path, or null for ':memory:'. */
export function createWrites(db: Database.Database, file: string | null): Writes {
  const sameFile = file === null ? () => {} : fileGuard(file);
  const q = {
    dedup: db.prepare('INSERT OR IGNORE INTO dedup (account_id, key) VALUES (?, ?)'),
    owner: db.prepare('SELECT customer_id FROM identities WHERE account_id = ? AND type = ? AND value = ?').pluck(),
    // Bounded by the per-customer cap, whatever a customer holds: a walk of at most CAP + 1 entries of
    // identities_by_customer (customer_id, type), in type order.
    countOf: db
      .prepare(
        `SELECT count(*) FROM (SELECT type FROM identities WHERE customer_id = ? ORDER BY type LIMIT ${MAX_IDENTIFIERS_PER_CUSTOMER + 1})
         WHERE type = ?`,
      )
      .pluck(),
    totalOf: db
      .prepare(
        `SELECT count(*) FROM (SELECT 1 FROM identities WHERE customer_id = ? LIMIT ${MAX_IDENTIFIERS_PER_CUSTOMER + 1})`,
      )
      .pluck(),
    typesOf: db
      .prepare(
        `SELECT DISTINCT type FROM (SELECT type FROM identities WHERE customer_id = ? ORDER BY type LIMIT ${MAX_IDENTIFIERS_PER_CUSTOMER + 1})`,
      )
      .pluck(),
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
      VALUES (@account, @customers, @events, @unattributed, @duplicates, @merges, @refused_merges)
      ON CONFLICT (account_id) DO UPDATE SET customers = customers + excluded.customers, events = events + excluded.events,
        unattributed = unattributed + excluded.unattributed, duplicates = duplicates + excluded.duplicates,
        merges = merges + excluded.merges, refused_merges = refused_merges + excluded.refused_merges`),
    defaultAccount: db.prepare('SELECT id, public_key, private_key FROM accounts WHERE is_default = 1'),
    insertAccount: db.prepare(
      'INSERT INTO accounts (public_key, private_key, is_default, created_at) VALUES (?, ?, ?, ?) RETURNING id, public_key, private_key',
    ),
    updateKeys: db.prepare('UPDATE accounts SET public_key = ?, private_key = ? WHERE id = ?'),
    putSegment:
      db.prepare(`INSERT INTO segment_definitions (account_id, name, definition, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (account_id, name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`),
    deleteSegment: db.prepare('DELETE FROM segment_definitions WHERE account_id = ? AND name = ?'),
    healthWrite: db.prepare(
      'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
    ),
    probeWrite: db.prepare('INSERT OR REPLACE INTO write_probe (id, payload) VALUES (1, zeroblob(?))'),
    healthRead: db.prepare('SELECT checked_at FROM health WHERE id = 1').pluck(),
  };
  const state = createStateWrites(db);

  /** The graph that stitch() works on, bound to one account and one moment, inside the write transaction. */
  function graphFor(account: number, at: number, buffer: StateBuffer): IdentityGraphTx {
    return {
      ownerOf: (type, value) => (q.owner.get(account, type, value) as number | undefined) ?? null,
      countOf: (customer, type) => q.countOf.get(customer, type) as number,
      totalOf: (customer) => q.totalOf.get(customer) as number,
      typesOf: (customer) => new Set(q.typesOf.all(customer) as string[]),
      createCustomer: () => Number(q.newCustomer.run(account, at).lastInsertRowid),
      addIdentity: (customer, type, value) => void q.addIdentity.run(account, type, value, customer),
      moveIdentity: (type, value, to) => void q.moveIdentity.run(to, account, type, value),
      merge: (from, into) => {
        q.moveAllIdentities.run(into, from);
        q.moveEvents.run(into, account, from);
        buffer.merge(from, into, state.leavesOf(account));
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
    const buffer = state.newBuffer();
    for (const batch of batches) {
      const account = Number(batch.accountId);
      const outcome = emptyOutcome();
      const graph = graphFor(account, batch.receivedAt, buffer);
      const leaves = state.leavesOf(account);
      for (const ev of batch.events) {
        if (ev.idempotenceId !== null && q.dedup.run(account, dedupKey(ev.idempotenceId)).changes === 0) {
          outcome.duplicates++;
          continue;
        }
        const s = stitch(graph, ev.identities);
        q.insertEvent.run(account, s.customer, batch.receivedAt, ev.type, ev.action, ev.identifiersJson, ev.dataJson);
        if (s.customer !== null && leaves.length > 0) {
          const stored = new MatchableEvent(ev.type, ev.action, ev.dataJson);
          buffer.addEvent(s.customer, leaves, stored, batch.receivedAt, s.customersCreated > 0);
        }
        countStored(outcome, ev, s);
      }
      outcomes.push(outcome);
    }
    for (const [account, deltas] of counterDeltas(batches, outcomes)) q.counters.run({ account, ...deltas });
    state.flush(buffer);
    return outcomes;
  });

  const ensureDefaultTx = db.transaction(
    (
      given: { publicKey?: string; privateKey?: string },
      fresh: { publicKey: string; privateKey: string },
      at: number,
    ) => {
      const plan = planDefaultAccount(q.defaultAccount.get() as AccountRow | undefined, given, fresh);
      if (plan.action === 'create') {
        return q.insertAccount.get(plan.keys.publicKey, plan.keys.privateKey, 1, at) as AccountRow;
      }
      if (plan.action === 'update') q.updateKeys.run(plan.keys.publicKey, plan.keys.privateKey, plan.id);
      return { id: plan.id, public_key: plan.keys.publicKey, private_key: plan.keys.privateKey };
    },
  );

  const putSegmentTx = db.transaction(
    (account: string, name: string, definitionJson: string, at: number, leaves: LeafSpec[] | undefined) => {
      q.putSegment.run(account, name, definitionJson, at);
      if (leaves !== undefined) state.linkLeaves(account, name, leaves);
    },
  );
  const deleteSegmentTx = db.transaction((account: string, name: string): boolean => {
    const deleted = q.deleteSegment.run(account, name).changes > 0;
    state.unlink(account, name);
    return deleted;
  });

  /**
   * A tiny health write can succeed on a full disk while ingestion fails (it fits in WAL pages already allocated), so
   * after an ingestion failed for lack of storage the probe also writes a payload twice the size of what failed, until
   * such a probe commits. Until then the health check fails as ingestion does.
   */
  let probeBytes = 0;
  const healthTx = db.transaction((at: number, padding: number) => {
    q.healthWrite.run(at);
    q.probeWrite.run(padding);
    checkHealthRow(at, q.healthRead.get());
  });

  /** Runs one write, then checks that it went to the file the store was opened on before it is acknowledged. */
  function committed<T>(write: () => T): T {
    const value = write();
    sameFile();
    return value;
  }

  const lifecycle = createLifecycleWrites(db);

  return {
    deleteCustomer: (account, type, value) => committed(() => lifecycle.deleteCustomer(account, type, value)),
    deleteEventsBefore: (cutoffMs, limit) => committed(() => lifecycle.deleteEventsBefore(cutoffMs, limit)),
    // BEGIN IMMEDIATE: take the write lock up front, so another process on the same file cannot deadlock an upgrade.
    ingest: (batches) => {
      try {
        return committed(() => ingestTx.immediate(batches));
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && STORAGE_FAILURE.test(code)) {
          let bytes = 0;
          for (const b of batches) for (const e of b.events) bytes += e.identifiersJson.length + e.dataJson.length;
          probeBytes = Math.max(probeBytes, 2 * bytes);
        }
        throw err;
      }
    },
    createAccount: (publicKey, privateKey, at) =>
      committed(() => q.insertAccount.get(publicKey, privateKey, 0, at) as AccountRow),
    ensureDefaultAccount: (given, fresh, at) => committed(() => ensureDefaultTx.immediate(given, fresh, at)),
    putSegmentDefinition: (account, name, definitionJson, at, leaves) =>
      committed(() => putSegmentTx.immediate(account, name, definitionJson, at, leaves)),
    deleteSegmentDefinition: (account, name) => committed(() => deleteSegmentTx.immediate(account, name)),
    linkSegmentLeaves: (account, name, updatedAt, leaves) =>
      committed(() => state.ensureLeaves(account, name, updatedAt, leaves)),
    buildSegmentState: (maxEvents) => committed(() => state.buildStep(maxEvents)),
    healthCheck: (at) => {
      committed(() => healthTx.immediate(at, probeBytes));
      probeBytes = 0;
    },
    settings: () =>
      Object.fromEntries(DURABILITY_PRAGMAS.map((p) => [p, db.pragma(p, { simple: true }) as string | number])),
  };
}
