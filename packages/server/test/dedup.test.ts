import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminGet, describeStores, event, postEvents, request, startTestServer, type TestServer } from './helpers.js';

describeStores('deduplication on (account, idempotence_id)', (store) => {
  let server: TestServer;
  const count = async (fsUserId: string) => {
    const c = await server.store.lookupCustomer(server.account.id, 'fs_user_id', fsUserId);
    return c === null ? 0 : server.store.customerEventCount(server.account.id, c.customerId);
  };

  beforeAll(async () => {
    server = await startTestServer({ store });
  });
  afterAll(() => server?.close());

  it('stores a batch sent twice once; both sends get 202', async () => {
    const batch = Array.from({ length: 5 }, (_, i) => event({ fs_user_id: 'dup-twice' }, { i }));
    expect((await postEvents(server, server.account.publicKey, batch)).status).toBe(202);
    expect((await postEvents(server, server.account.publicKey, batch)).status).toBe(202);
    expect(await count('dup-twice')).toBe(5);
  });

  it('stores a batch sent three times concurrently once', async () => {
    const batch = Array.from({ length: 10 }, (_, i) => event({ fs_user_id: 'dup-thrice' }, { i }));
    const replies = await Promise.all([1, 2, 3].map(() => postEvents(server, server.account.publicKey, batch)));
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(await count('dup-thrice')).toBe(10);
  });

  it('stores a duplicate inside one batch once, and counts duplicates in stats and metrics', async () => {
    const duplicateMetric = async () => {
      const metrics = await request(server.url, {
        path: '/metrics',
        headers: { 'x-api-key': server.account.privateKey },
      });
      return Number(/^odpkit_events_duplicate_total (\d+)$/m.exec(metrics.text)?.[1]);
    };
    const before = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json.duplicates;
    const metricBefore = await duplicateMetric();
    const e = event({ fs_user_id: 'dup-inside' });
    expect((await postEvents(server, server.account.publicKey, [e, e, e])).status).toBe(202);
    expect(await count('dup-inside')).toBe(1);
    const after = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json.duplicates;
    expect(after).toBe(before + 2);
    expect(await duplicateMetric()).toBe(metricBefore + 2);
  });

  it('treats a UUID idempotence id case-insensitively and any other string exactly', async () => {
    const id = '3f2a4b1c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
    const a = event({ fs_user_id: 'dup-case' }, { idempotence_id: id });
    const b = event({ fs_user_id: 'dup-case' }, { idempotence_id: id.toUpperCase() });
    const c = event({ fs_user_id: 'dup-case' }, { idempotence_id: 'order-17' });
    const d = event({ fs_user_id: 'dup-case' }, { idempotence_id: 'ORDER-17' });
    expect((await postEvents(server, server.account.publicKey, [a, b, c, d, c])).status).toBe(202);
    expect(await count('dup-case')).toBe(3);
  });

  it('gives events without an idempotence id a server id: each is stored', async () => {
    const e = { type: 'fullstack', action: 'viewed', identifiers: { fs_user_id: 'dup-none' }, data: { page: 1 } };
    expect((await postEvents(server, server.account.publicKey, [e, e])).status).toBe(202);
    expect((await postEvents(server, server.account.publicKey, [e])).status).toBe(202);
    expect(await count('dup-none')).toBe(3);
  });
});
