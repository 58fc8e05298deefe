import pg from 'pg';
import type { ConnectionSettings } from './connection.js';

/**
 * Keeps planner statistics fresh without relying on autovacuum (which may be off, or not awake yet after a bulk
 * load). The hot queries are planned right with no statistics at all (queries.ts); this is the safety net for
 * everything else. See README.md "Query plans and statistics".
 *
 * Rule: ANALYZE the tables ingestion grows once `events` holds `firstEvents` rows and has never been analyzed, then
 * whenever it has grown `growth` times past the row count the last ANALYZE saw (pg_class.reltuples, which is also
 * what autovacuum's own analyze updates, so the two cooperate). The size is max(events.id), one backward probe of the
 * primary key: events are append-only and the id is an increasing identity (gaps only make it analyze a bit early),
 * and it does not depend on track_counts.
 *
 * Each node checks after every `checkEvery` events it stored, and once at start (a store bulk-loaded before an
 * upgrade). The check is one cheap query on the pool; the ANALYZE itself runs in the background on its own
 * connection (never a pooled one: requests and group commits keep all of theirs), never awaited by an ingest or a
 * request, one at a time per node, and under pg_try_advisory_lock so that two nodes never analyze one schema at once
 * (the loser just skips; the winner's new reltuples make the condition false for everyone).
 */

export interface AnalyzeOptions {
  /** Events before the first ANALYZE. Default 10,000. */
  firstEvents?: number;
  /** Growth factor of `events` since the last ANALYZE that triggers the next one. Default 2. */
  growth?: number;
  /** Events stored by this node between two checks. Default 5,000. */
  checkEvery?: number;
  /** false: never analyze from the store. */
  enabled?: boolean;
}

/** The tables the ingest path grows and the read path plans over. */
export const ANALYZED_TABLES = ['events', 'customers', 'identities', 'dedup'] as const;

/** Advisory lock key (two-int form): a constant, and the schema so separate installations do not exclude each other. */
const ANALYZE_LOCK_CLASS = 72_150_044;

const CHECK_SQL = `SELECT c.reltuples::float8 AS tuples, (SELECT max(id) FROM events)::float8 AS top
  FROM pg_class c WHERE c.oid = 'events'::regclass`;

export interface Analyzer {
  /** Called after each committed group with the number of events it stored; returns at once. */
  noteStored(events: number): void;
  /** Runs a check now (in the background); the promise is for tests and start-up, never awaited on a hot path. */
  check(): Promise<boolean>;
  close(): Promise<void>;
}

export function createAnalyzer(settings: ConnectionSettings, pool: pg.Pool, options: AnalyzeOptions = {}): Analyzer {
  const firstEvents = options.firstEvents ?? 10_000;
  const growth = options.growth ?? 2;
  const checkEvery = options.checkEvery ?? 5_000;
  const enabled = options.enabled ?? true;
  let sinceCheck = 0;
  let running: Promise<boolean> | null = null;
  let requested = false; // a check came due while one was running: run another when it ends
  let client: pg.Client | null = null;
  let closed = false;

  const due = (tuples: number, top: number | null): boolean => {
    if (top === null || top < firstEvents) return false;
    // reltuples is -1 (PG 14+) or 0 (older) before the first ANALYZE/VACUUM.
    if (tuples <= 0) return true;
    return top >= tuples * growth;
  };

  async function readSize(q: pg.Pool | pg.Client): Promise<{ tuples: number; top: number | null }> {
    const { rows } = await q.query<{ tuples: number; top: number | null }>(CHECK_SQL);
    const r = rows[0];
    return { tuples: Number(r?.tuples ?? -1), top: r?.top === null || r?.top === undefined ? null : Number(r.top) };
  }

  async function run(): Promise<boolean> {
    const first = await readSize(pool);
    if (!due(first.tuples, first.top) || closed) return false;
    const c = new pg.Client({
      connectionString: settings.connectionString,
      ...(settings.schema !== null ? { options: `-c search_path=${settings.schema}` } : {}),
    });
    c.on('error', () => {});
    client = c;
    try {
      await c.connect();
      // Do not queue behind autovacuum's own analyze (same lock); the next check tries again.
      await c.query("SET lock_timeout = '2s'");
      const { rows } = await c.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS ok',
        [ANALYZE_LOCK_CLASS],
      );
      if (!rows[0]?.ok) return false; // another node is analyzing this schema right now
      // Another node may have just finished: decide again under the lock.
      const again = await readSize(c);
      if (!due(again.tuples, again.top) || closed) return false;
      await c.query(`ANALYZE ${ANALYZED_TABLES.join(', ')}`);
      return true;
    } finally {
      client = null;
      await c.end().catch(() => {}); // also releases the session advisory lock
    }
  }

  function check(): Promise<boolean> {
    if (!enabled || closed) return Promise.resolve(false);
    if (running) return running;
    const p = run()
      .catch(() => false) // statistics are an optimisation: a failed analyze must never surface as an error
      .finally(() => {
        if (running === p) running = null;
        if (requested && !closed) {
          requested = false;
          void check();
        }
      });
    running = p;
    return p;
  }

  return {
    noteStored(events) {
      if (!enabled || events <= 0) return;
      sinceCheck += events;
      if (sinceCheck < checkEvery) return;
      sinceCheck = 0;
      if (running) requested = true;
      else void check();
    },
    check,
    async close() {
      closed = true;
      const c = client;
      // Ending the connection aborts a running ANALYZE at once (it changes nothing until it finishes).
      if (c) await c.end().catch(() => {});
      if (running) await running;
    },
  };
}
