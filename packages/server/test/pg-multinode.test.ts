import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { MIGRATIONS } from '../src/store/postgres/schema.js';
import { describePg, type ServerNode, twoNodesOnOneSchema } from './helpers/pg.js';
import { adminGet, postEvents, type TestEvent } from './helpers.js';

/**
 * Two server processes (the built package) over one database, fed concurrently with overlapping identities and with
 * batches sent to both nodes (a client retrying against the other node behind a load balancer).
 *
 * The stream is built so that the right final state is known whatever the interleaving: every event of person p
 * carries at least one of p's high-confidence identifiers (email, fs_user_id), no identifier is shared between
 * people, and each person has at least one event carrying all three of p's identifiers. Once that event is stitched,
 * every customer holding one of p's identifiers is merged into one and p is settled for good. So afterwards each
 * person is exactly one customer holding all their identifiers, and every one of their events resolves to it.
 */

const PERSONS = 120;
const BATCH = 10;
const SENDERS_PER_NODE = 4;

const keys = { publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` };
const idsOf = (p: number) => ({ email: `p${p}@multi.io`, fs_user_id: `user-${p}`, vuid: `vuid_${p}` });

function streamOfEvents(): { events: TestEvent[]; perPerson: Map<number, number> } {
  const shapes: (keyof ReturnType<typeof idsOf>)[][] = [
    ['email'],
    ['fs_user_id'],
    ['email', 'vuid'],
    ['fs_user_id', 'vuid'],
    ['email', 'fs_user_id'],
  ];
  const events: TestEvent[] = [];
  const perPerson = new Map<number, number>();
  for (let p = 0; p < PERSONS; p++) {
    const ids = idsOf(p);
    const own = [['email', 'fs_user_id', 'vuid'] as const, ...shapes.filter(() => Math.random() < 0.8)];
    for (const shape of own) {
      const identifiers = Object.fromEntries(shape.map((k) => [k, ids[k]]));
      events.push({ type: 'fullstack', action: 'seen', identifiers, data: { idempotence_id: randomUUID(), p } });
    }
    perPerson.set(p, own.length);
  }
  // Shuffled, so a person's events are spread over both nodes and over time in any order.
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [events[i], events[j]] = [events[j] as TestEvent, events[i] as TestEvent];
  }
  return { events, perPerson };
}

/** Posts until 202; 503 is the server's "retry later", which every SDK honours. */
async function deliver(node: ServerNode, batch: TestEvent[]): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const res = await postEvents(node, keys.publicKey, batch);
    if (res.status === 202) return attempt;
    if (res.status !== 503 || attempt >= 20) throw new Error(`unexpected ${res.status}: ${res.text}`);
  }
}

describePg('two server nodes on one PostgreSQL', () => {
  const cluster = twoNodesOnOneSchema(keys);

  it('migrated once when both started together, and both serve the same default account', async () => {
    expect(await cluster.schema.query('SELECT version FROM odpkit_migrations ORDER BY version')).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    expect(await cluster.schema.query('SELECT count(*)::int AS n FROM accounts WHERE is_default')).toEqual([{ n: 1 }]);
    expect(cluster.nodes[0].accountId).toBe(cluster.nodes[1].accountId);
  });

  it('ends with one customer per person, every event stored once on it, and the same answers from both nodes', async () => {
    const { events, perPerson } = streamOfEvents();
    const batches: TestEvent[][] = [];
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
    // Half the stream to each node; every third batch also to the other node at the same time (a retry elsewhere).
    const queues: { node: ServerNode; batch: TestEvent[] }[][] = [[], []];
    let resent = 0;
    batches.forEach((batch, i) => {
      const home = i % 2;
      queues[home]?.push({ node: cluster.nodes[home] as ServerNode, batch });
      if (i % 3 === 0) {
        queues[1 - home]?.push({ node: cluster.nodes[1 - home] as ServerNode, batch });
        resent += batch.length;
      }
    });
    const sender = async (queue: { node: ServerNode; batch: TestEvent[] }[]) => {
      for (let job = queue.shift(); job; job = queue.shift()) await deliver(job.node, job.batch);
    };
    await Promise.all(queues.flatMap((q) => Array.from({ length: SENDERS_PER_NODE }, () => sender(q))));

    // Every event stored exactly once.
    const stored = await cluster.schema.query<{ id: string; n: number }>(
      `SELECT data::jsonb ->> 'idempotence_id' AS id, count(*)::int AS n FROM events GROUP BY 1`,
    );
    expect(stored).toHaveLength(events.length);
    expect(stored.filter((r) => r.n !== 1)).toEqual([]);

    // Identities only ever point at live customers, and every identifier of every event has an identity row owned by
    // the customer the event resolves to (its customer, or the one that customer was merged into).
    expect(
      await cluster.schema.query(
        'SELECT i.* FROM identities i JOIN customers c ON c.id = i.customer_id WHERE c.merged_into IS NOT NULL',
      ),
    ).toEqual([]);
    const misplaced = await cluster.schema.query(
      `SELECT e.id, x.k, x.v, i.customer_id AS owner, COALESCE(c.merged_into, c.id) AS resolved
       FROM events e
       LEFT JOIN customers c ON c.id = e.customer_id
       CROSS JOIN LATERAL jsonb_each_text(e.identifiers::jsonb) AS x(k, v)
       LEFT JOIN identities i ON i.account_id = e.account_id AND i.type = x.k AND i.value = x.v
       WHERE i.customer_id IS DISTINCT FROM COALESCE(c.merged_into, c.id)`,
    );
    expect(misplaced).toEqual([]);

    // One live customer per person, holding exactly that person's three identifiers.
    const owners = await cluster.schema.query<{ customer_id: string; ids: string[] }>(
      `SELECT customer_id, array_agg(type || '=' || value ORDER BY type) AS ids FROM identities GROUP BY customer_id`,
    );
    expect(owners).toHaveLength(PERSONS);
    for (const o of owners) {
      const p = Number(/^email=p(\d+)@/.exec(o.ids[0] ?? '')?.[1]);
      const ids = idsOf(p);
      expect(o.ids).toEqual([`email=${ids.email}`, `fs_user_id=${ids.fs_user_id}`, `vuid=${ids.vuid}`]);
    }

    // Both nodes answer every person the same way, with every one of that person's events.
    const [a, b] = cluster.nodes;
    for (let p = 0; p < PERSONS; p++) {
      const path = `/admin/v1/customers?key=fs_user_id&value=${encodeURIComponent(idsOf(p).fs_user_id)}`;
      const [ra, rb] = await Promise.all([adminGet(a, keys.privateKey, path), adminGet(b, keys.privateKey, path)]);
      expect(ra.status, `person ${p}`).toBe(200);
      expect(rb.json, `person ${p}`).toEqual(ra.json);
      expect(ra.json.event_count, `person ${p}`).toBe(perPerson.get(p));
      expect(ra.json.identifiers).toEqual({
        email: [idsOf(p).email],
        fs_user_id: [idsOf(p).fs_user_id],
        vuid: [idsOf(p).vuid],
      });
    }
    const [sa, sb] = await Promise.all([
      adminGet(a, keys.privateKey, '/admin/v1/stats'),
      adminGet(b, keys.privateKey, '/admin/v1/stats'),
    ]);
    expect(sb.json).toEqual(sa.json);
    expect(sa.json).toMatchObject({ customers: PERSONS, events: events.length, duplicates: resent });
  });
});
