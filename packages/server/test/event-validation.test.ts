import { WIRE_LIMITS } from '@odpkit/sdk/limits';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminGet, describeStores, event, postEvents, startTestServer, type TestServer } from './helpers.js';

// What POST /v3/events refuses in one event's size and data, and the one lenient case (a null idempotence id), through
// the real route on each store. A refused batch stores nothing, so every refusal is also checked in the stats.
describeStores('event validation', (store) => {
  let server: TestServer;
  const stats = async () => (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
  const refused = async (events: unknown[]) => {
    const before = (await stats()).events;
    const res = await postEvents(server, server.account.publicKey, events);
    expect(res.status).toBe(400);
    expect((await stats()).events).toBe(before);
    return res.json.detail.invalids as { event: number; message: string }[];
  };

  beforeAll(async () => {
    server = await startTestServer({ store });
  });
  afterAll(() => server?.close());

  it(`refuses an event over ${WIRE_LIMITS.maxEventBytes} bytes serialised, naming it, and accepts one at the limit`, async () => {
    const base = event({ fs_user_id: 'size-u' }, { pad: '' });
    const overhead = Buffer.byteLength(
      JSON.stringify({ type: base.type, action: base.action, identifiers: base.identifiers, data: base.data }),
    );
    const padded = (bytes: number) => ({ ...base, data: { ...base.data, pad: 'x'.repeat(bytes - overhead) } });
    const over = WIRE_LIMITS.maxEventBytes + 1;
    expect(await refused([event({ fs_user_id: 'size-ok' }), padded(over)])).toEqual([
      { event: 1, message: `event is ${over} bytes serialised, over the limit of ${WIRE_LIMITS.maxEventBytes} bytes` },
    ]);
    const res = await postEvents(server, server.account.publicKey, [padded(WIRE_LIMITS.maxEventBytes)]);
    expect(res.status).toBe(202);
  });

  it('refuses a number that overflowed to Infinity instead of storing it as null', async () => {
    const body = `[${JSON.stringify(event({ fs_user_id: 'inf-u' })).replace(/}}$/, ', "n": 1e309}}')}]`;
    const before = (await stats()).events;
    const res = await postEvents(server, server.account.publicKey, body);
    expect(res.status).toBe(400);
    expect(res.json.detail.invalids).toEqual([
      { event: 0, message: `'data."n"' must be a finite number (it overflows a double)` },
    ]);
    expect((await stats()).events).toBe(before);
  });

  it('refuses an integer beyond 2^53 - 1, saying to send it as a string; 2^53 - 1 itself is kept exactly', async () => {
    const body = (n: string) =>
      `[${JSON.stringify(event({ fs_user_id: 'big-int-u' })).replace(/}}$/, `, "n": ${n}}}`)}]`;
    const res = await postEvents(server, server.account.publicKey, body('9007199254740993'));
    expect(res.status).toBe(400);
    expect(res.json.detail.invalids).toEqual([
      {
        event: 0,
        message: `'data."n"' is an integer beyond 2^53 - 1 that cannot be stored exactly: send it as a string`,
      },
    ]);
    expect((await postEvents(server, server.account.publicKey, body('9007199254740991'))).status).toBe(202);
    const c = await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'big-int-u');
    const events = await server.store.customerEvents(server.account.id, c!.customerId);
    expect(events.map((e) => e.data['n'])).toEqual([9007199254740991]);
  });

  it('treats "idempotence_id": null as no idempotence id: stored each time it is sent', async () => {
    const e = { ...event({ fs_user_id: 'null-idem-u' }), data: { idempotence_id: null, n: 1 } };
    for (let i = 0; i < 2; i++) expect((await postEvents(server, server.account.publicKey, [e])).status).toBe(202);
    const c = await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'null-idem-u');
    expect(await server.store.customerEventCount(server.account.id, c!.customerId)).toBe(2);
  });
});
