import { randomUUID } from 'node:crypto';
import { type IngestBatch, openStore, type Store } from '@odpkit/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';
import { createTestSchema, describePg, type TestSchema } from './helpers/pg.js';

/**
 * Two stores (two pools: what two nodes are to the database) ingesting concurrently, at the store level so the
 * groups can be shaped freely: bulk batches of 300 events whose new identities exceed the fine-grained lock budget
 * (the account-exclusive path) interleaved with small batches over the same people (the per-identity path), several
 * batches per ingest call, and batches given to both stores. Same settled-state argument as pg-multinode: every
 * event carries one of its person's high-confidence identifiers and each person has an event with all three, so the
 * end state is known whatever the interleaving.
 */

const PERSONS = 600;
const WORKERS_PER_STORE = 4;

const idsOf = (p: number) => ({ email: `p${p}@conc.io`, fs_user_id: `user-${p}`, vuid: `vuid_${p}` });
type Shape = (keyof ReturnType<typeof idsOf>)[];
const SHAPES: Shape[] = [['email'], ['fs_user_id'], ['email', 'vuid'], ['fs_user_id', 'vuid'], ['email', 'fs_user_id']];

function eventsOf(p: number): unknown[] {
  const ids = idsOf(p);
  const shapes: Shape[] = [['email', 'fs_user_id', 'vuid'], ...SHAPES.filter(() => Math.random() < 0.6)];
  return shapes.map((shape) => ({
    type: 'fullstack',
    action: 'seen',
    identifiers: Object.fromEntries(shape.map((k) => [k, ids[k]])),
    data: { idempotence_id: randomUUID(), p },
  }));
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

describePg('concurrent group commits from two stores on one PostgreSQL', () => {
  let schema: TestSchema;
  const stores: Store[] = [];
  let accountId: string;

  beforeAll(async () => {
    schema = await createTestSchema();
    stores.push(await openStore(schema.url), await openStore(schema.url));
    accountId = (await stores[0]!.createAccount({ publicKey: 'pk_conc', privateKey: 'sk_conc' })).id;
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await schema?.drop();
  });

  it('end with one customer per person and every event once, through bulk and fine-grained locking at once', async () => {
    // The first half of the people arrive in bulk batches (300 events, far over 256 new identities each), the second
    // half in small shuffled batches; both halves are then mixed, so bulk and small groups overlap in time.
    const bulk = shuffle(Array.from({ length: PERSONS / 2 }, (_, p) => eventsOf(p)).flat());
    const small = shuffle(Array.from({ length: PERSONS / 2 }, (_, p) => eventsOf(PERSONS / 2 + p)).flat());
    // The small batches also repeat some bulk people's full events, so the two paths stitch the same people.
    const crossing = shuffle(bulk.filter(() => Math.random() < 0.1));
    const batches: unknown[][] = [];
    for (let i = 0; i < bulk.length; i += 300) batches.push(bulk.slice(i, i + 300));
    const rest = shuffle([...small, ...crossing]);
    for (let i = 0; i < rest.length; i += 5) batches.push(rest.slice(i, i + 5));
    shuffle(batches);

    const queues: unknown[][][] = [[], []];
    batches.forEach((b, i) => {
      queues[i % 2]?.push(b);
      if (i % 4 === 0) queues[1 - (i % 2)]?.push(b); // given to the other store too
    });
    const prepare = (events: unknown[]): IngestBatch => {
      const v = validateBatch(events);
      if (!v.ok) throw new Error(JSON.stringify(v.invalids));
      return { accountId, receivedAt: 1_700_000_000_000, events: v.events };
    };
    const worker = async (store: Store, queue: unknown[][][]) => {
      // Up to three batches per call: a group commit, as the server's committer makes them.
      while (queue.length > 0) await store.ingest(queue.splice(0, 1 + Math.floor(Math.random() * 3)).map(prepare));
    };
    await Promise.all(
      stores.flatMap((s, i) => Array.from({ length: WORKERS_PER_STORE }, () => worker(s, queues[i] as unknown[][][]))),
    );

    const distinct = new Set(
      [...bulk, ...small].map((e) => (e as { data: { idempotence_id: string } }).data.idempotence_id),
    );
    const stored = await schema.query<{ n: number; d: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT data::jsonb ->> 'idempotence_id')::int AS d FROM events`,
    );
    expect(stored).toEqual([{ n: distinct.size, d: distinct.size }]);
    const misplaced = await schema.query(
      `SELECT e.id FROM events e
       LEFT JOIN customers c ON c.id = e.customer_id
       CROSS JOIN LATERAL jsonb_each_text(e.identifiers::jsonb) AS x(k, v)
       LEFT JOIN identities i ON i.account_id = e.account_id AND i.type = x.k AND i.value = x.v
       WHERE i.customer_id IS DISTINCT FROM COALESCE(c.merged_into, c.id)`,
    );
    expect(misplaced).toEqual([]);
    const perCustomer = await schema.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identities i JOIN customers c ON c.id = i.customer_id
       WHERE c.merged_into IS NULL GROUP BY i.customer_id`,
    );
    expect(perCustomer).toHaveLength(PERSONS);
    expect(perCustomer.every((r) => r.n === 3)).toBe(true);
    const stats = await stores[1]!.accountStats(accountId);
    expect(stats).toMatchObject({ customers: PERSONS, events: distinct.size });
  });

  it('never give a customer two fs_user_ids when two stores stitch people sharing one email at once', async () => {
    const account = (await stores[0]!.createAccount({ publicKey: 'pk_shared', privateKey: 'sk_shared' })).id;
    const people = Array.from({ length: 60 }, (_, i) => `shared-${i}`);
    const batches = shuffle(
      people.flatMap((p) => [
        [{ type: 'fullstack', action: 'seen', identifiers: { fs_user_id: p, email: 'one@shared.io' }, data: {} }],
        [{ type: 'fullstack', action: 'seen', identifiers: { fs_user_id: p, email: `${p}@own.io` }, data: {} }],
        [{ type: 'fullstack', action: 'seen', identifiers: { email: 'one@shared.io', vuid: `vuid_${p}` }, data: {} }],
      ]),
    );
    const prepare = (events: unknown[]): IngestBatch => {
      const v = validateBatch(events);
      if (!v.ok) throw new Error(JSON.stringify(v.invalids));
      return { accountId: account, receivedAt: 1_700_000_000_000, events: v.events };
    };
    const queue = [...batches];
    const worker = async (store: Store) => {
      while (queue.length > 0) await store.ingest(queue.splice(0, 1 + Math.floor(Math.random() * 3)).map(prepare));
    };
    await Promise.all(stores.flatMap((s) => Array.from({ length: WORKERS_PER_STORE }, () => worker(s))));

    const twoUsers = await schema.query(
      `SELECT customer_id FROM identities WHERE account_id = $1 AND type = 'fs_user_id'
       GROUP BY customer_id HAVING count(*) > 1`,
      [account],
    );
    expect(twoUsers).toEqual([]);
    for (const p of people) {
      const c = await stores[0]!.lookupCustomer(account, 'fs_user_id', p);
      expect(c?.identifiers['fs_user_id']).toEqual([p]);
      expect((await stores[1]!.lookupCustomer(account, 'email', `${p}@own.io`))?.customerId).toBe(c?.customerId);
    }
    const stats = await stores[1]!.accountStats(account);
    // The first fs_user_id to meet the email keeps it; each of the other 59 is refused once.
    expect(stats).toMatchObject({ customers: 60, events: 180, refusedMerges: 59 });
  });
  it('never merge two customers that each hold an email, when two stores link them through one crm_id at once', async () => {
    const account = (await stores[0]!.createAccount({ publicKey: 'pk_mails', privateKey: 'sk_mails' })).id;
    const people = Array.from({ length: 60 }, (_, i) => `mail-${i}`);
    const prepare = (events: unknown[]): IngestBatch => {
      const v = validateBatch(events);
      if (!v.ok) throw new Error(JSON.stringify(v.invalids));
      return { accountId: account, receivedAt: 1_700_000_000_000, events: v.events };
    };
    const seen = (identifiers: Record<string, string>) => ({
      type: 'fullstack',
      action: 'seen',
      identifiers,
      data: {},
    });
    // First every person is a customer with one email; then each one's event links that email to the shared crm_id.
    await stores[0]!.ingest([prepare(people.map((p) => seen({ email: `${p}@mail.io` })))]);
    const queue = shuffle(people.map((p) => [seen({ email: `${p}@mail.io`, crm_id: 'crm-shared' })]));
    const worker = async (store: Store) => {
      while (queue.length > 0) await store.ingest(queue.splice(0, 1 + Math.floor(Math.random() * 3)).map(prepare));
    };
    await Promise.all(stores.flatMap((s) => Array.from({ length: WORKERS_PER_STORE }, () => worker(s))));

    const customers = new Set<string>();
    for (const p of people) {
      const c = await stores[1]!.lookupCustomer(account, 'email', `${p}@mail.io`);
      expect(c?.identifiers['email']).toEqual([`${p}@mail.io`]);
      customers.add(c!.customerId);
    }
    expect(customers.size).toBe(60);
    // Whoever committed first took the crm_id; every later link is refused as two emails (its event goes to the older
    // of the two customers, so event counts per customer depend on the order).
    const holder = await stores[0]!.lookupCustomer(account, 'crm_id', 'crm-shared');
    expect(customers).toContain(holder?.customerId);
    const reasons = await schema.query<{ type: string; n: number }>(
      'SELECT type, count(*)::int AS n FROM refused_merges WHERE account_id = $1 GROUP BY type',
      [account],
    );
    expect(reasons).toEqual([{ type: 'email', n: 59 }]);
    expect(await stores[1]!.accountStats(account)).toMatchObject({
      customers: 60,
      events: 120,
      merges: 0,
      refusedMerges: 59,
    });
  });
});
