import { type Account, createAccount } from '@odpkit/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminGet, describeStores, event, postEvents, request, startTestServer, type TestServer } from './helpers.js';

// One account never sees or changes another's data: events, identities, dedup keys, admin reads, metrics.
describeStores('account isolation', (store) => {
  let server: TestServer;
  let a: Account;
  let b: Account;

  beforeAll(async () => {
    server = await startTestServer({ store });
    a = server.account;
    b = await createAccount(server.store);
  });
  afterAll(() => server?.close());

  it('keeps identities, customers and dedup keys per account', async () => {
    const shared = event({ email: 'same@x.io', fs_user_id: 'same-user' });
    expect((await postEvents(server, a.publicKey, [shared])).status).toBe(202);
    // The same idempotence id under B is B's own event, not a duplicate of A's.
    expect((await postEvents(server, b.publicKey, [shared])).status).toBe(202);
    const ca = await server.store.lookupCustomer(a.id, 'email', 'same@x.io');
    const cb = await server.store.lookupCustomer(b.id, 'email', 'same@x.io');
    expect(ca).not.toBeNull();
    expect(cb).not.toBeNull();
    expect(ca!.customerId).not.toBe(cb!.customerId);
    expect(await server.store.customerEvents(a.id, cb!.customerId)).toEqual([]);
    expect(await server.store.customerEventCount(a.id, cb!.customerId)).toBe(0);
    expect((await adminGet(server, a.privateKey, '/admin/v1/stats')).json.events).toBe(1);
    expect((await adminGet(server, b.privateKey, '/admin/v1/stats')).json.events).toBe(1);
  });

  it("never lets B's keys read A's customers through the admin API", async () => {
    expect((await postEvents(server, a.publicKey, [event({ fs_user_id: 'only-in-a' })])).status).toBe(202);
    expect((await adminGet(server, a.privateKey, '/admin/v1/customers?key=fs_user_id&value=only-in-a')).status).toBe(
      200,
    );
    const fromB = await adminGet(server, b.privateKey, '/admin/v1/customers?key=fs_user_id&value=only-in-a');
    expect(fromB.status).toBe(404);
    expect(fromB.json.detail).toEqual({ message: 'no customer with fs_user_id = "only-in-a"' });
    // Public keys are not admin keys.
    expect((await adminGet(server, a.publicKey, '/admin/v1/customers?key=fs_user_id&value=only-in-a')).status).toBe(
      401,
    );
    expect((await adminGet(server, b.publicKey, '/admin/v1/stats')).status).toBe(401);
  });

  it("never lets B's events join A's customers", async () => {
    await postEvents(server, a.publicKey, [event({ fs_user_id: 'a-person', email: 'a-person@x.io' })]);
    await postEvents(server, b.publicKey, [event({ fs_user_id: 'b-person', email: 'a-person@x.io' })]);
    const inA = await server.store.lookupCustomer(a.id, 'email', 'a-person@x.io');
    expect(inA?.identifiers).toEqual({ email: ['a-person@x.io'], fs_user_id: ['a-person'] });
    expect(await server.store.lookupCustomer(a.id, 'fs_user_id', 'b-person')).toBeNull();
  });

  it('keeps segment definitions per account', async () => {
    await server.store.putSegmentDefinition(a.id, 'buyers', { condition: { identifier: 'email' } });
    expect(await server.store.listSegmentDefinitions(b.id)).toEqual([]);
    expect(await server.store.deleteSegmentDefinition(b.id, 'buyers')).toBe(false);
    expect(await server.store.listSegmentDefinitions(a.id)).toHaveLength(1);
  });

  it("serves server-wide metrics only to the operator (default) account's private key", async () => {
    expect(
      (await request(server.url, { path: '/metrics', headers: { authorization: `Bearer ${a.privateKey}` } })).status,
    ).toBe(200);
    expect((await request(server.url, { path: '/metrics', headers: { 'x-api-key': b.privateKey } })).status).toBe(401);
    expect((await request(server.url, { path: '/metrics' })).status).toBe(401);
  });
});
