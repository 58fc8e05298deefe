import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg, type TestSchema } from './helpers/pg.js';
import { event, FIXED_NOW, postEvents, startTestServer, type TestServer } from './helpers.js';

// POST /v3/events through a real server on PostgreSQL: only what is PostgreSQL's own. The wire contract, dedup,
// identity rules, isolation and admin reads run on both stores in their own files (describeStores); this file keeps
// the U+0000 escaping (PostgreSQL text cannot hold it) and the rows the PostgreSQL schema promises in its README.
describePg('[postgres] HTTP ingestion, PostgreSQL-only cases', () => {
  let server: TestServer;
  let schema: TestSchema;
  const key = () => server.account.publicKey;
  const send = async (...events: ReturnType<typeof event>[]) => {
    // One request per event, in order: the identity rules are about order.
    for (const e of events) expect((await postEvents(server, key(), [e])).status).toBe(202);
  };
  const customerOf = async (k: string, v: string) =>
    (await server.store.lookupCustomer(server.account.id, k, v))?.customerId ?? null;

  beforeAll(async () => {
    server = await startTestServer({ store: 'postgres', now: () => FIXED_NOW });
    schema = server.schema!;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('makes identifiers differing only in U+0000 or U+0001 one identity, and keeps the events as sent', async () => {
    // Control characters are removed from identities (src/ingest/identifiers.ts), so PostgreSQL's lack of U+0000 in
    // text never reaches the identities table; the events keep their identifiers verbatim in their JSON text.
    const values = ['pg\u0000nul', 'pg\u0001nul', '\u0001pgnul', 'pgnul'];
    for (const v of values) await send(event({ crm_id: v }, { v }));
    const owners = await Promise.all(values.map((v) => customerOf('crm_id', v)));
    expect(new Set(owners).size).toBe(1);
    const view = await server.store.lookupCustomer(server.account.id, 'crm_id', 'pg\u0000nul');
    expect(view?.identifiers).toEqual({ crm_id: ['pgnul'] });
    const history = await server.store.customerEvents(server.account.id, owners[0]!);
    expect(history.map((e) => e.identifiers['crm_id']).sort()).toEqual([...values].sort());
  });

  it('keeps merges as one-hop redirects with a merges row, and records a refused merge', async () => {
    await send(event({ email: 'pg-chain@x.io' }), event({ fs_user_id: 'pg-chain-u' }), event({ crm_id: 'pg-chain-c' }));
    const oldest = await customerOf('email', 'pg-chain@x.io');
    const middle = await customerOf('fs_user_id', 'pg-chain-u');
    await send(event({ fs_user_id: 'pg-chain-u', crm_id: 'pg-chain-c' }));
    await send(event({ crm_id: 'pg-chain-c', email: 'pg-chain@x.io' }));
    const redirect = await schema.query<{ merged_into: string }>('SELECT merged_into FROM customers WHERE id = $1', [
      middle,
    ]);
    expect(redirect[0]?.merged_into).toBe(oldest);
    expect(
      await schema.query('SELECT 1 FROM merges WHERE from_customer = $1 AND into_customer = $2', [middle, oldest]),
    ).toHaveLength(1);
    const deep = await schema.query(
      'SELECT 1 FROM customers c JOIN customers t ON t.id = c.merged_into WHERE t.merged_into IS NOT NULL',
    );
    expect(deep).toEqual([]);

    await send(event({ fs_user_id: 'pg-refuse-1' }), event({ fs_user_id: 'pg-refuse-2', email: 'pg-refuse@x.io' }));
    const a = await customerOf('fs_user_id', 'pg-refuse-1');
    const b = await customerOf('fs_user_id', 'pg-refuse-2');
    await send(event({ fs_user_id: 'pg-refuse-1', email: 'pg-refuse@x.io' }));
    const refused = await schema.query<{ type: string }>(
      'SELECT type FROM refused_merges WHERE kept_customer = $1 AND refused_customer = $2',
      [a, b],
    );
    expect(refused).toEqual([{ type: 'fs_user_id' }]);
  });

  it('stores an event whose identifiers are all ignored with no customer', async () => {
    const e = event({ fs_user_id: 'undefined', email: '""' });
    await send(e);
    const rows = await schema.query<{ customer_id: string | null }>(
      // strpos, not jsonb: jsonb rejects the \u0000 some events carry. The ids are random UUIDs.
      'SELECT customer_id FROM events WHERE strpos(data, $1) > 0',
      [e.data.idempotence_id],
    );
    expect(rows).toEqual([{ customer_id: null }]);
  });
});
