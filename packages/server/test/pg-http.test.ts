import { type RunningServer, startServer } from '@odpkit/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestSchema, describePg, type TestSchema } from './helpers/pg.js';
import { adminGet, event, FIXED_ISO, FIXED_NOW, postEvents } from './helpers.js';

// POST /v3/events through a real server whose store is PostgreSQL (`--db postgres://…`): the wire contract's happy
// path, deduplication, and the identity rules, checked through the API and against the rows really stored.
describePg('HTTP ingestion on PostgreSQL', () => {
  let schema: TestSchema;
  let server: RunningServer;
  const key = () => server.account.publicKey;
  const send = async (...events: ReturnType<typeof event>[]) => {
    // One request per event, in order: the identity rules are about order.
    for (const e of events) expect((await postEvents(server, key(), [e])).status).toBe(202);
  };
  const customerOf = async (k: string, v: string) =>
    (await server.store.lookupCustomer(server.account.id, k, v))?.customerId ?? null;
  const storedWith = async (idempotenceId: string) =>
    Number(
      (
        await schema.query<{ n: string }>(
          // strpos, not jsonb: jsonb rejects the \u0000 some of these events carry. The ids are random UUIDs.
          'SELECT count(*) AS n FROM events WHERE strpos(data, $1) > 0',
          [idempotenceId],
        )
      )[0]?.n,
    );

  beforeAll(async () => {
    schema = await createTestSchema();
    server = await startServer({ port: 0, db: schema.url, logger: false, now: () => FIXED_NOW });
  });
  afterAll(async () => {
    await server?.close();
    await schema?.drop();
  });

  it('answers 202 with the exact ODP body after the events are committed', async () => {
    const batch = [event({ fs_user_id: 'pg-wire-1' }, { n: 1 }), event({ fs_user_id: 'pg-wire-1' }, { n: 2 })];
    const res = await postEvents(server, key(), batch);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ title: 'Accepted', status: 202, timestamp: FIXED_ISO });
    const rows = await schema.query<{ data: string }>(
      `SELECT e.data FROM events e JOIN identities i ON i.customer_id = e.customer_id
       WHERE i.type = 'fs_user_id' AND i.value = 'pg-wire-1' ORDER BY e.id`,
    );
    expect(rows.map((r) => JSON.parse(r.data).n)).toEqual([1, 2]);
    const admin = await adminGet(
      server,
      server.account.privateKey,
      '/admin/v1/customers?key=fs_user_id&value=pg-wire-1',
    );
    expect(admin.status).toBe(200);
    expect(admin.json.event_count).toBe(2);
    expect(admin.json.recent_events.map((e: { data: { n: number } }) => e.data.n)).toEqual([2, 1]);
  });

  it('rejects an invalid batch whole: 400 and nothing stored', async () => {
    const good = event({ fs_user_id: 'pg-invalid-good' });
    const res = await postEvents(server, key(), [good, { type: 'x' }]);
    expect(res.status).toBe(400);
    expect(await storedWith(good.data.idempotence_id as string)).toBe(0);
  });

  it('stores a batch sent twice, and one sent three times concurrently, once', async () => {
    const twice = [event({ fs_user_id: 'pg-dup-a' }), event({ fs_user_id: 'pg-dup-a' })];
    expect((await postEvents(server, key(), twice)).status).toBe(202);
    expect((await postEvents(server, key(), twice)).status).toBe(202);
    const thrice = [event({ fs_user_id: 'pg-dup-b' }), event({ email: 'pg-dup-b@x.io' })];
    const replies = await Promise.all([1, 2, 3].map(() => postEvents(server, key(), thrice)));
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202]);
    for (const e of [...twice, ...thrice]) expect(await storedWith(e.data.idempotence_id as string)).toBe(1);
    const stats = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
    expect(stats.duplicates).toBeGreaterThanOrEqual(6);
  });

  it('merges customers an event links; the older survives, with every event, and the younger redirects to it', async () => {
    await send(event({ email: 'pg-merge@x.io' }, { n: 1 }), event({ fs_user_id: 'pg-merge-u' }, { n: 2 }));
    const older = await customerOf('email', 'pg-merge@x.io');
    const younger = await customerOf('fs_user_id', 'pg-merge-u');
    expect(Number(older)).toBeLessThan(Number(younger));
    await send(event({ email: 'pg-merge@x.io', fs_user_id: 'pg-merge-u' }, { n: 3 }));
    expect(await customerOf('fs_user_id', 'pg-merge-u')).toBe(older);
    const history = await server.store.customerEvents(server.account.id, older!);
    expect(history.map((e) => e.data['n']).sort()).toEqual([1, 2, 3]);
    expect(await server.store.customerEvents(server.account.id, younger!)).toEqual([]);
    const redirect = await schema.query<{ merged_into: string }>('SELECT merged_into FROM customers WHERE id = $1', [
      younger,
    ]);
    expect(redirect[0]?.merged_into).toBe(older);
    const merges = await schema.query('SELECT 1 FROM merges WHERE from_customer = $1 AND into_customer = $2', [
      younger,
      older,
    ]);
    expect(merges).toHaveLength(1);
  });

  it('follows merge chains: every identifier ends on the oldest customer, redirects stay one hop', async () => {
    await send(event({ email: 'pg-chain@x.io' }), event({ fs_user_id: 'pg-chain-u' }), event({ crm_id: 'pg-chain-c' }));
    const oldest = await customerOf('email', 'pg-chain@x.io');
    await send(event({ fs_user_id: 'pg-chain-u', crm_id: 'pg-chain-c' }));
    await send(event({ crm_id: 'pg-chain-c', email: 'pg-chain@x.io' }));
    for (const [k, v] of [
      ['email', 'pg-chain@x.io'],
      ['fs_user_id', 'pg-chain-u'],
      ['crm_id', 'pg-chain-c'],
    ] as const) {
      expect(await customerOf(k, v), `${k}=${v}`).toBe(oldest);
    }
    expect(await server.store.customerEvents(server.account.id, oldest!)).toHaveLength(5);
    const deep = await schema.query(
      'SELECT 1 FROM customers c JOIN customers t ON t.id = c.merged_into WHERE t.merged_into IS NOT NULL',
    );
    expect(deep).toEqual([]);
  });

  it('refuses to merge two different fs_user_ids and records it', async () => {
    await send(event({ fs_user_id: 'pg-refuse-1' }), event({ fs_user_id: 'pg-refuse-2', email: 'pg-refuse@x.io' }));
    const a = await customerOf('fs_user_id', 'pg-refuse-1');
    const b = await customerOf('fs_user_id', 'pg-refuse-2');
    await send(event({ fs_user_id: 'pg-refuse-1', email: 'pg-refuse@x.io' }, { linking: true }));
    expect(await customerOf('fs_user_id', 'pg-refuse-2')).toBe(b);
    expect(await customerOf('email', 'pg-refuse@x.io')).toBe(b);
    const history = await server.store.customerEvents(server.account.id, a!);
    expect(history.map((e) => e.data['linking'])).toContain(true);
    const refused = await schema.query<{ type: string }>(
      'SELECT type FROM refused_merges WHERE kept_customer = $1 AND refused_customer = $2',
      [a, b],
    );
    expect(refused).toEqual([{ type: 'fs_user_id' }]);
  });

  it('moves a shared vuid instead of bridging two people', async () => {
    await send(event({ fs_user_id: 'pg-alice', vuid: 'pg_shared_device' }), event({ fs_user_id: 'pg-bob' }));
    const alice = await customerOf('fs_user_id', 'pg-alice');
    const bob = await customerOf('fs_user_id', 'pg-bob');
    await send(event({ fs_user_id: 'pg-bob', vuid: 'pg_shared_device' }));
    expect(await customerOf('vuid', 'pg_shared_device')).toBe(bob);
    expect(await customerOf('fs_user_id', 'pg-alice')).toBe(alice);
    expect(alice).not.toBe(bob);
  });

  it('stores identifiers holding U+0000 and a leading U+0001 as distinct values, found again by look-up', async () => {
    // PostgreSQL text cannot hold U+0000; the store escapes such values instead of failing the whole group commit.
    const values = ['pg\u0000nul', 'pg\u0001nul', '\u0001pg0nul', 'pg0nul'];
    for (const v of values) await send(event({ crm_id: v }, { v }));
    const owners = await Promise.all(values.map((v) => customerOf('crm_id', v)));
    expect(new Set(owners).size).toBe(values.length);
    for (const [i, v] of values.entries()) {
      const view = await server.store.lookupCustomer(server.account.id, 'crm_id', v);
      expect(view?.identifiers).toEqual({ crm_id: [v] });
      const history = await server.store.customerEvents(server.account.id, owners[i]!);
      expect(history.map((e) => e.identifiers['crm_id'])).toEqual([v]);
    }
  });

  it('stores an event whose identifiers are all ignored, unattributed', async () => {
    const e = event({ fs_user_id: 'undefined', email: '""' });
    await send(e);
    const rows = await schema.query<{ customer_id: string | null }>(
      'SELECT customer_id FROM events WHERE strpos(data, $1) > 0',
      [e.data.idempotence_id],
    );
    expect(rows).toEqual([{ customer_id: null }]);
  });
});
