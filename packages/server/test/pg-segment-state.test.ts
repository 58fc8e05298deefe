import { randomUUID } from 'node:crypto';
import { openPostgresStore } from '@odpkit/server';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';
import { parseSegmentDefinition } from '../src/segments/definition.js';
import { SegmentService } from '../src/segments/service.js';
import { dedupKey } from '../src/store/postgres/text.js';
import { createTestSchema, describePg, PG_URL } from './helpers/pg.js';
import { expectReferenceAnswers, generator, stateDifferentialCases } from './segment-state-differential.js';
import { stateStoreCases } from './segment-state-store.js';

/** The segment state cases and the differential against the history evaluator, on PostgreSQL. */
async function open() {
  const schema = await createTestSchema();
  const store = await openPostgresStore(schema.url, { poolSize: 4 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await schema.drop();
    },
  };
}

describePg('segment state: PostgreSQL', () => {
  describe('store cases', () => stateStoreCases(open));
  describe('vs the history evaluator', () => stateDifferentialCases(open, [1, 2, 3, 4]));

  it('two nodes ingesting (with merges) while segments are defined and both rebuild: every event counted once', async () => {
    const schema = await createTestSchema();
    const nodes = [
      await openPostgresStore(schema.url, { poolSize: 4 }),
      await openPostgresStore(schema.url, { poolSize: 4 }),
    ] as const;
    try {
      const g = generator(42);
      const accountId = (
        await nodes[0].createAccount({ publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` })
      ).id;
      const services = nodes.map((s) => new SegmentService(s, { definitionsTtlMs: 0 }));
      for (let i = 0; i < 30; i++) await nodes[i % 2]!.ingest([g.batch(accountId)]);

      let ingesting = true;
      const ingest = async (node: 0 | 1) => {
        for (let i = 0; i < 40; i++) await nodes[node].ingest([g.batch(accountId), g.batch(accountId)]);
      };
      const build = async (node: 0 | 1) => {
        while (ingesting || (await nodes[node].buildSegmentState(3)).pending) {
          if (ingesting) await nodes[node].buildSegmentState(3);
        }
      };
      const define = async () => {
        for (let i = 0; i < 4; i++) {
          const parsed = parseSegmentDefinition({ name: `s${i}`, condition: g.condition() });
          if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
          await services[i % 2]!.put(accountId, parsed.value);
          await new Promise((r) => setImmediate(r));
        }
      };
      const builders = [build(0), build(1)];
      await Promise.all([ingest(0), ingest(1), define()]);
      ingesting = false;
      await Promise.all(builders);

      const listed = await services[1]!.list(accountId);
      expect(listed.map((s) => s.state)).toEqual(listed.map(() => 'ready'));
      for (let i = 0; i < 4; i++) await expectReferenceAnswers(nodes[i % 2]!, services[i % 2]!, accountId, g.clock());
      expect((await nodes[0].accountStats(accountId)).merges).toBeGreaterThan(0);
    } finally {
      await Promise.all(nodes.map((s) => s.close()));
      await schema.drop();
    }
  });

  it("a segment defined while an ingest transaction is open counts that transaction's event exactly once", async () => {
    const schema = await createTestSchema();
    const store = await openPostgresStore(schema.url, { poolSize: 4 });
    const blocker = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema.name}` });
    await blocker.connect();
    try {
      const accountId = (
        await store.createAccount({ publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` })
      ).id;
      const service = new SegmentService(store, { definitionsTtlMs: 0 });
      const event = (id: string) => ({
        type: 'fullstack',
        action: 'a',
        identifiers: { fs_user_id: 'u1' },
        data: { idempotence_id: id },
      });
      const ingest = (id: string) => {
        const v = validateBatch([event(id)]);
        if (!v.ok) throw new Error('invalid');
        return store.ingest([{ accountId, receivedAt: Date.UTC(2026, 5, 1), events: v.events }]);
      };
      for (let i = 0; i < 3; i++) await ingest(randomUUID());

      // Hold the ingest inside its transaction: another session has inserted (not committed) its idempotence key,
      // so the ingest waits there, after it has read the account's leaves.
      const held = randomUUID();
      await blocker.query('BEGIN');
      await blocker.query('INSERT INTO dedup (account_id, key) VALUES ($1, $2)', [accountId, dedupKey(held)]);
      const inFlight = ingest(held);
      const waiting = async (sql: string) => {
        for (;;) {
          const { rows } = await blocker.query<{ n: number }>(sql);
          if ((rows[0]?.n ?? 0) > 0) return;
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      await waiting("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted");

      // The definition is created now. It must wait for the open ingest (or count its event in the rebuild):
      // either way the event is counted once, never zero times.
      let defined = false;
      const definition = parseSegmentDefinition({
        name: 'many',
        condition: { event: { action: 'a' }, count: { gte: 100 } },
      });
      if (!definition.ok) throw new Error('invalid definition');
      const put = service.put(accountId, definition.value).then(() => {
        defined = true;
      });
      // Until the put either finished or waits on the boundary lock.
      for (;;) {
        if (defined) break;
        const { rows } = await blocker.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        );
        if ((rows[0]?.n ?? 0) > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await blocker.query('ROLLBACK');
      await Promise.all([inFlight, put]);
      await service.buildStateNow();
      const customer = await store.lookupCustomer(accountId, 'fs_user_id', 'u1');
      const rows = await store.segmentState(accountId, customer?.customerId ?? '');
      expect(rows.map((r) => ({ ready: r.ready, state: r.state }))).toEqual([
        { ready: true, state: { kind: 'count', n: 4 } },
      ]);
    } finally {
      await blocker.end();
      await store.close();
      await schema.drop();
    }
  });
});
