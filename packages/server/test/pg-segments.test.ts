import { randomUUID } from 'node:crypto';
import { type RunningServer, startServer } from '@odpkit/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestSchema, describePg, type TestSchema } from './helpers/pg.js';
import { postEvents, request, type TestEvent } from './helpers.js';

/**
 * Segment answers from two nodes over one PostgreSQL. startServer does not mount POST /v3/graphql yet, so each node
 * here is a real server (its own store, pool and group committer) with the GraphQL route added as a plugin, in this
 * process. An event acknowledged by one node must count in the other node's very next answer, and after concurrent
 * traffic through both, both must answer every customer alike.
 */

const keys = { publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` };
const QUERY =
  'query($userId: String, $audiences: [String]) {customer(fs_user_id: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}';
const SEGMENTS = ['bought_twice', 'has_email'];
const PERSONS = 40;

async function states(node: RunningServer, userId: string): Promise<unknown> {
  const res = await request(node.url, {
    method: 'POST',
    path: '/v3/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': keys.publicKey },
    body: JSON.stringify({ query: QUERY, variables: { userId, audiences: SEGMENTS } }),
  });
  expect(res.status).toBe(200);
  const customer = res.json.data?.customer;
  if (customer === null) return null;
  return Object.fromEntries(
    (customer.audiences.edges as { node: { name: string; state: string } }[]).map((e) => [e.node.name, e.node.state]),
  );
}

const purchase = (identifiers: Record<string, string>): TestEvent => ({
  type: 'fullstack',
  action: 'purchased',
  identifiers,
  data: { idempotence_id: randomUUID() },
});

describePg('segment answers from two nodes on one PostgreSQL', () => {
  let schema: TestSchema;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    schema = await createTestSchema();
    const start = () => startServer({ port: 0, db: schema.url, logger: false, ...keys });
    [a, b] = await Promise.all([start(), start()]);
    const applied = await a.app.odpkit.segments.applyFile(a.account.id, [
      { name: 'bought_twice', condition: { event: { action: 'purchased' }, count: { gte: 2 } } },
      { name: 'has_email', condition: { identifier: 'email' } },
    ]);
    expect(applied.ok).toBe(true);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await schema?.drop();
  });

  it("counts an event acknowledged by one node in the other node's next answer", async () => {
    expect((await postEvents(a, keys.publicKey, [purchase({ fs_user_id: 'ryw' })])).status).toBe(202);
    expect(await states(b, 'ryw')).toEqual({ bought_twice: 'not_qualified', has_email: 'not_qualified' });
    expect((await postEvents(b, keys.publicKey, [purchase({ fs_user_id: 'ryw', email: 'ryw@x.io' })])).status).toBe(
      202,
    );
    expect(await states(a, 'ryw')).toEqual({ bought_twice: 'qualified', has_email: 'qualified' });
  });

  it('answers every customer alike on both nodes after concurrent, overlapping traffic through both', async () => {
    // Person p buys p % 4 times, through either node, with either identifier; one event links both identifiers.
    const jobs: { node: RunningServer; event: TestEvent }[] = [];
    for (let p = 0; p < PERSONS; p++) {
      const ids = { fs_user_id: `seg-${p}`, email: `seg-${p}@x.io` };
      jobs.push({ node: p % 2 ? a : b, event: { ...purchase(ids), action: 'linked' } });
      for (let n = 0; n < p % 4; n++) {
        const identifiers: Record<string, string> = n % 2 ? { email: ids.email } : { fs_user_id: ids.fs_user_id };
        jobs.push({ node: (p + n) % 2 ? a : b, event: purchase(identifiers) });
      }
    }
    const replies = await Promise.all(jobs.map((j) => postEvents(j.node, keys.publicKey, [j.event])));
    expect(replies.every((r) => r.status === 202)).toBe(true);

    for (let p = 0; p < PERSONS; p++) {
      const [sa, sb] = await Promise.all([states(a, `seg-${p}`), states(b, `seg-${p}`)]);
      expect(sb, `person ${p}`).toEqual(sa);
      expect(sa, `person ${p}`).toEqual({
        bought_twice: p % 4 >= 2 ? 'qualified' : 'not_qualified',
        has_email: 'qualified',
      });
    }
  });
});
