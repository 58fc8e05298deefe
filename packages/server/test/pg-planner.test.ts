import { randomUUID } from 'node:crypto';
import { openPostgresStore, type PreparedEvent, type Store } from '@odpkit/server';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';
import { createAnalyzer } from '../src/store/postgres/analyze.js';
import { parsePostgresUrl } from '../src/store/postgres/connection.js';
import {
  CUSTOMER_EVENT_COUNT_SQL,
  CUSTOMER_EVENTS_SQL,
  CUSTOMER_IDENTIFIERS_SQL,
  IDENTITY_OWNER_SQL,
} from '../src/store/postgres/queries.js';
import { createTestSchema, describePg, type TestSchema } from './helpers/pg.js';

// Query plans must not depend on statistics (autovacuum may be off, or not awake yet after a bulk load), and the store
// must keep statistics fresh itself. Behaviour, not timing: plan shapes and pg_stat_user_tables.

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

function prepare(events: unknown[]): PreparedEvent[] {
  const r = validateBatch(events);
  if (!r.ok) throw new Error(`test event invalid: ${JSON.stringify(r.invalids)}`);
  return r.events;
}

const events = (n: number, offset: number) =>
  prepare(
    Array.from({ length: n }, (_, i) => ({
      type: 'fullstack',
      action: 'pageview',
      identifiers: { fs_user_id: `u${(offset + i) % 97}` },
      data: { idempotence_id: randomUUID() },
    })),
  );

describePg('PostgreSQL query plans and statistics', () => {
  let schema: TestSchema;
  const stores: Store[] = [];

  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await schema.drop();
  });

  it('plans the hot reads on their indexes with no statistics at all', async () => {
    // The store creates the tables; analysis off, so nothing but this test touches the statistics.
    const store = await openPostgresStore(schema.url, { analyze: { enabled: false } });
    stores.push(store);
    const account = (await store.createAccount({ publicKey: 'pk_plan', privateKey: 'sk_plan' })).id;
    // A bulk load: 20,000 customers, 200,000 events, one account, straight into the tables, never analyzed.
    await schema.query(
      'INSERT INTO customers (id, account_id, created_at) SELECT g, $1, 0 FROM generate_series(1, 20000) g',
      [account],
    );
    await schema.query(
      `INSERT INTO identities (account_id, type, value, customer_id)
       SELECT $1, 'fs_user_id', 'u' || g, g FROM generate_series(1, 20000) g`,
      [account],
    );
    await schema.query(
      `INSERT INTO events (account_id, customer_id, received_at, type, action, identifiers, data)
       SELECT $1, 1 + g % 20000, g, 'fullstack', 'pageview', '{}', '{}' FROM generate_series(1, 200000) g`,
      [account],
    );
    const stats = await schema.query<{ reltuples: number; last_analyze: Date | null }>(
      `SELECT c.reltuples::float8 AS reltuples, s.last_analyze FROM pg_class c
       JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'events'::regclass`,
    );
    expect(stats[0]).toEqual({ reltuples: -1, last_analyze: null });

    const explain = async (sql: string, params: unknown[]) => {
      const rows = await schema.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      return nodes((rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
    };
    const onEvents = (plan: PlanNode[]) => plan.filter((n) => n['Relation Name'] === 'events');
    const byCustomer = (plan: PlanNode[]) =>
      plan.filter((n) => n['Index Name'] === 'events_by_customer' && /customer_id =/.test(n['Index Cond'] ?? ''));

    for (const [sql, params] of [
      [CUSTOMER_EVENTS_SQL, [account, '4242', 0, 20]],
      [CUSTOMER_EVENTS_SQL, [account, '4242', 0, null]],
      [CUSTOMER_EVENT_COUNT_SQL, [account, '4242', null]],
      [CUSTOMER_EVENT_COUNT_SQL, [account, '4242', 10_001]],
    ] as const) {
      const plan = await explain(sql, [...params]);
      // No scan of events other than through the per-customer index with the customer's id as a key.
      for (const n of onEvents(plan))
        expect(['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']).toContain(n['Node Type']);
      expect(byCustomer(plan).length).toBeGreaterThan(0);
      expect(plan.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    }
    const owner = await explain(IDENTITY_OWNER_SQL, [account, 'fs_user_id', 'u4242']);
    expect(owner.some((n) => n['Index Name'] === 'identities_pkey')).toBe(true);
    const ids = await explain(CUSTOMER_IDENTIFIERS_SQL, ['4242']);
    expect(ids.some((n) => n['Index Name'] === 'identities_by_customer')).toBe(true);

    // And the answers are right.
    expect(await store.customerEventCount(account, '4242')).toBe(10);
    expect(await store.customerEventCount(account, '4242', 4)).toBe(4);
    const history = await store.customerEvents(account, '4242', { limit: 3 });
    expect(history.map((e) => e.receivedAt)).toEqual([184241, 164241, 144241]);
  });

  it('analyzes after the first events and again after the table doubled, one node at a time', async () => {
    const fresh = await createTestSchema();
    try {
      const settings = parsePostgresUrl(fresh.url);
      const pool = new pg.Pool({
        connectionString: settings.connectionString,
        max: 2,
        options: `-c search_path=${fresh.name}`,
      });
      const store = await openPostgresStore(fresh.url, { analyze: { firstEvents: 1000, growth: 2, checkEvery: 100 } });
      const analyzeCount = async () =>
        (
          await fresh.query<{ n: number; tuples: number }>(
            `SELECT s.analyze_count::int AS n, c.reltuples::float8 AS tuples FROM pg_stat_user_tables s
             JOIN pg_class c ON c.oid = s.relid WHERE s.relid = 'events'::regclass`,
          )
        )[0] as { n: number; tuples: number };
      const waitFor = async (n: number) => {
        for (let i = 0; i < 200 && (await analyzeCount()).n < n; i++) await new Promise((r) => setTimeout(r, 50));
        return analyzeCount();
      };
      try {
        const account = (await store.createAccount({ publicKey: 'pk_an', privateKey: 'sk_an' })).id;
        const ingest = async (n: number, offset: number) => {
          const outcomes = await store.ingest([
            { accountId: account, receivedAt: 1_700_000_000_000, events: events(n, offset) },
          ]);
          expect(outcomes[0]?.stored).toBe(n);
        };
        await ingest(900, 0);
        // Below the first threshold: a direct check (the same code the store runs) does nothing.
        const probe = createAnalyzer(settings, pool, { firstEvents: 1000, growth: 2 });
        expect(await probe.check()).toBe(false);
        expect((await analyzeCount()).n).toBe(0);

        await ingest(300, 900); // 1,200 events: the store analyzes in the background
        const first = await waitFor(1);
        expect(first.n).toBe(1);
        expect(first.tuples).toBe(1200);
        const tables = await fresh.query<{ relname: string }>(
          'SELECT relname FROM pg_stat_user_tables WHERE schemaname = $1 AND last_analyze IS NOT NULL ORDER BY relname',
          [fresh.name],
        );
        expect(tables.map((t) => t.relname)).toEqual(['customers', 'dedup', 'events', 'identities']);

        await ingest(1000, 1200); // 2,200 < 2 × 1,200: not yet
        expect(await probe.check()).toBe(false);
        expect((await analyzeCount()).n).toBe(1);

        await ingest(300, 2200); // 2,500: due; the store's own background check may already be running
        await waitFor(2);
        expect((await analyzeCount()).n).toBe(2);
        expect((await analyzeCount()).tuples).toBe(2500);

        // Another node holds the analyze lock while the table doubles again (5,000).
        const holder = new pg.Client({ connectionString: settings.connectionString });
        await holder.connect();
        try {
          await holder.query(`SELECT pg_advisory_lock(72150044, hashtext($1))`, [fresh.name]);
          await ingest(2500, 2500);
          const blocked = createAnalyzer(settings, pool, { firstEvents: 1000, growth: 2 });
          expect(await blocked.check()).toBe(false);
          // Nobody analyzed while the lock was held (the store's own check skipped as well).
          expect((await analyzeCount()).n).toBe(2);
        } finally {
          await holder.end();
        }
        // Once the lock is free, the next check (this one or the store's) analyzes.
        await probe.check();
        expect((await waitFor(3)).n).toBe(3);
      } finally {
        await store.close();
        await pool.end();
      }
    } finally {
      await fresh.drop();
    }
  });
});
