import type Database from 'better-sqlite3';
import { decodeStates } from '../../segments/state/codec.js';
import type { LeafSpec } from '../../segments/state/leaf.js';
import { type BuildStep, type LeafProgress, type LeafStateRow, leafProgress } from '../../segments/state/source.js';
import {
  leafFromRow,
  leafSpecJson,
  MatchableEvent,
  StateBuffer,
  type StoredLeaf,
} from '../../segments/state/state-buffer.js';

/**
 * Segment state in SQLite: per customer, for each event condition ("leaf") of its account, only what the condition's
 * answer needs (see src/segments/README.md). Tables:
 * - `segment_leaves`: the account's leaves, one row per (account, key). A new leaf is `building` until the rebuild
 *   has counted every event up to `build_upto` (the largest event id when it was created; later events are counted
 *   by ingestion, which updates building leaves too), then `ready`. A leaf no segment uses any more is deleted at
 *   once. AUTOINCREMENT: a leaf id is never reused, so a stale entry in a state row can never be read as a new leaf's.
 * - `segment_definition_leaves`: which leaves each segment uses, to know when a leaf is no longer used.
 * - `segment_state`: one row per customer, every leaf's state in one value (segments/state/codec.ts), so ingestion
 *   reads and writes one row per customer touched and a query reads one row.
 */
export function migrateSegmentState(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS segment_leaves (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      account_id INTEGER NOT NULL,
      key TEXT NOT NULL,
      spec TEXT NOT NULL,
      status TEXT NOT NULL,
      build_start INTEGER NOT NULL,
      build_cursor INTEGER NOT NULL,
      build_upto INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS segment_leaves_by_key ON segment_leaves (account_id, key);
    CREATE TABLE IF NOT EXISTS segment_definition_leaves (
      account_id INTEGER NOT NULL,
      name TEXT NOT NULL,
      leaf_id INTEGER NOT NULL,
      PRIMARY KEY (account_id, name, leaf_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS segment_definition_leaves_by_leaf ON segment_definition_leaves (leaf_id);
    CREATE TABLE IF NOT EXISTS segment_state (
      customer_id INTEGER PRIMARY KEY,
      state BLOB NOT NULL
    );
  `);
}

interface LeafRow {
  id: number;
  account_id: number;
  key: string;
  spec: string;
  status: 'building' | 'ready';
  build_start: number;
  build_cursor: number;
  build_upto: number;
}

/** The state part of the writer: the ingest hook, leaf registration and the rebuild, on the writer connection. */
export function createStateWrites(db: Database.Database) {
  const q = {
    live: db.prepare('SELECT id, key, spec FROM segment_leaves WHERE account_id = ?'),
    liveByKey: db.prepare('SELECT id FROM segment_leaves WHERE account_id = ? AND key = ?').pluck(),
    allIds: db.prepare('SELECT id FROM segment_leaves').pluck(),
    maxEvent: db.prepare('SELECT COALESCE(MAX(id), 0) FROM events').pluck(),
    hasEvents: db.prepare('SELECT 1 FROM events WHERE account_id = ? LIMIT 1').pluck(),
    newLeaf: db
      .prepare(`INSERT INTO segment_leaves (account_id, key, spec, status, build_start, build_cursor, build_upto)
      VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING id`)
      .pluck(),
    unlink: db.prepare('DELETE FROM segment_definition_leaves WHERE account_id = ? AND name = ?'),
    link: db.prepare('INSERT OR IGNORE INTO segment_definition_leaves (account_id, name, leaf_id) VALUES (?, ?, ?)'),
    dropUnused: db.prepare(`DELETE FROM segment_leaves WHERE account_id = ?
      AND NOT EXISTS (SELECT 1 FROM segment_definition_leaves d WHERE d.leaf_id = segment_leaves.id)`),
    definitionAt: db.prepare('SELECT updated_at FROM segment_definitions WHERE account_id = ? AND name = ?').pluck(),
    load: db.prepare('SELECT state FROM segment_state WHERE customer_id = ?').pluck(),
    upsert: db.prepare(
      'INSERT INTO segment_state (customer_id, state) VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE SET state = excluded.state',
    ),
    remove: db.prepare('DELETE FROM segment_state WHERE customer_id = ?'),
    building: db.prepare("SELECT * FROM segment_leaves WHERE status = 'building' ORDER BY id"),
    scan: db.prepare(`SELECT id, account_id, customer_id, received_at, type, action, data FROM events
      WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`),
    advance: db.prepare('UPDATE segment_leaves SET build_cursor = ?, status = ? WHERE id = ?'),
  };

  // The leaves of each account, as ingestion needs them, and the ids of all. Only this connection changes them
  // (registration and drops run here), so the caches are cleared exactly when they change.
  const leafCache = new Map<number, StoredLeaf[]>();
  let allIds: Set<number> | null = null;
  const forgetLeaves = (account: number) => {
    leafCache.delete(account);
    allIds = null;
  };
  function leavesOf(account: number): StoredLeaf[] {
    let leaves = leafCache.get(account);
    if (leaves === undefined) {
      leaves = (q.live.all(account) as { id: number; key: string; spec: string }[]).map((r) =>
        leafFromRow(r.id, r.key, r.spec),
      );
      leafCache.set(account, leaves);
    }
    return leaves;
  }

  function newBuffer(): StateBuffer {
    return new StateBuffer(
      (customer) => (q.load.get(customer) as Buffer | undefined) ?? null,
      (leaf) => {
        allIds ??= new Set(q.allIds.all() as number[]);
        return allIds.has(leaf);
      },
    );
  }

  function flush(buffer: StateBuffer): void {
    for (const w of buffer.drain()) {
      if (w.state === null) q.remove.run(w.customer);
      else q.upsert.run(w.customer, w.state);
    }
  }

  /**
   * Points the segment at exactly these leaves (creating the ones the account lacks, as `building` from the current
   * last event) and deletes leaves no segment uses. Runs inside the caller's transaction.
   */
  function linkLeaves(accountId: number | string, name: string, leaves: readonly LeafSpec[]): void {
    const account = Number(accountId);
    q.unlink.run(account, name);
    let upto: number | null = null;
    let empty = false;
    for (const spec of leaves) {
      let id = q.liveByKey.get(account, spec.key) as number | undefined;
      if (id === undefined) {
        if (upto === null) {
          upto = q.maxEvent.get() as number;
          empty = q.hasEvents.get(account) === undefined;
        }
        // An account without events has nothing to build: the leaf is ready at once.
        const status = empty ? 'ready' : 'building';
        id = q.newLeaf.get(account, spec.key, leafSpecJson(spec), status, empty ? upto : 0, upto) as number;
      }
      q.link.run(account, name, id);
    }
    q.dropUnused.run(account);
    forgetLeaves(account);
  }

  const ensureTx = db.transaction((account: number | string, name: string, updatedAt: number, leaves: LeafSpec[]) => {
    if (q.definitionAt.get(account, name) !== updatedAt) return false;
    linkLeaves(account, name, leaves);
    return true;
  });

  /**
   * One small rebuild transaction: counts up to `maxEvents` stored events (in id order) into the building leaves
   * whose range they fall in, and advances those leaves' cursors. Every event up to a leaf's build_upto is counted here exactly once (the cursor
   * moves in the same transaction), and every later one exactly once by ingestion.
   */
  const buildTx = db.transaction((maxEvents: number): BuildStep => {
    const building = q.building.all() as LeafRow[];
    if (building.length === 0) return { pending: false, progress: [] };
    const from = Math.min(...building.map((l) => l.build_cursor));
    const upto = Math.max(...building.map((l) => l.build_upto));
    const rows = q.scan.all(from, upto, maxEvents) as {
      id: number;
      account_id: number;
      customer_id: number | null;
      received_at: number;
      type: string;
      action: string;
      data: string;
    }[];
    // Fewer rows than asked: the scan reached `upto`.
    const reached = rows.length < maxEvents ? upto : (rows[rows.length - 1] as { id: number }).id;
    const leaves = building.map((row) => ({ row, leaf: leafFromRow(row.id, row.key, row.spec) }));
    const buffer = newBuffer();
    for (const ev of rows) {
      if (ev.customer_id === null) continue;
      const wanted = leaves
        .filter(({ row }) => row.account_id === ev.account_id && ev.id > row.build_cursor && ev.id <= row.build_upto)
        .map(({ leaf }) => leaf);
      if (wanted.length === 0) continue;
      buffer.addEvent(ev.customer_id, wanted, new MatchableEvent(ev.type, ev.action, ev.data), ev.received_at);
    }
    flush(buffer);
    const progress: (LeafProgress & { accountId: string })[] = [];
    for (const { row } of leaves) {
      if (row.build_cursor >= reached) continue;
      const cursor = Math.min(reached, row.build_upto);
      const status = cursor >= row.build_upto ? 'ready' : 'building';
      q.advance.run(cursor, status, row.id);
      progress.push({ accountId: String(row.account_id), ...leafProgress({ ...row, build_cursor: cursor, status }) });
    }
    return { pending: true, progress };
  });

  return {
    leavesOf,
    newBuffer,
    flush,
    linkLeaves,
    ensureLeaves: (account: number | string, name: string, updatedAt: number, leaves: LeafSpec[]) =>
      ensureTx.immediate(account, name, updatedAt, leaves),
    buildStep: (maxEvents: number) => buildTx.immediate(maxEvents),
    /** Unlinks a deleted segment (inside the caller's transaction). */
    unlink: (accountId: number | string, name: string) => {
      const account = Number(accountId);
      q.unlink.run(account, name);
      q.dropUnused.run(account);
      forgetLeaves(account);
    },
  };
}

/** The state reads, on the main thread's connection: bounded by the account's number of leaves. */
export function createStateReads(db: Database.Database) {
  const q = {
    leaves: db.prepare('SELECT id, key, status FROM segment_leaves WHERE account_id = ?'),
    state: db.prepare('SELECT state FROM segment_state WHERE customer_id = ?').pluck(),
    progress: db.prepare('SELECT * FROM segment_leaves WHERE account_id = ?'),
  };
  return {
    state(account: number, customer: number): LeafStateRow[] {
      const leaves = q.leaves.all(account) as { id: number; key: string; status: string }[];
      if (leaves.length === 0) return [];
      // Another account's customer holds no entry under this account's leaf ids: nothing of it can show.
      const states = decodeStates(q.state.get(customer) as Buffer | undefined);
      return leaves.map((l) => ({ key: l.key, ready: l.status === 'ready', state: states.get(l.id) ?? null }));
    },
    progress(account: number): LeafProgress[] {
      return (q.progress.all(account) as LeafRow[]).map(leafProgress);
    },
  };
}
