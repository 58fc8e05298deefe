import { createAccount, createApp, openSqliteStore, requireAccount } from '@odpkit/server';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Route plugins added by an embedder register through createApp({ plugins }) and reuse the key check and error path.
describe('composing the app', () => {
  const store = openSqliteStore(':memory:');
  let app: FastifyInstance;
  let keys: { publicKey: string; privateKey: string };

  beforeAll(async () => {
    keys = await createAccount(store);
    app = createApp({
      store,
      plugins: [
        async (instance) => {
          instance.get('/v3/whoami', { onRequest: requireAccount('public') }, async (request) => ({
            account: request.account!.id,
            storeReachable: instance.odpkit.store === store,
          }));
        },
      ],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('serves a plugin route with app.odpkit and the shared key check', async () => {
    const ok = await app.inject({ method: 'GET', url: '/v3/whoami', headers: { 'X-Api-Key': keys.publicKey } });
    expect(ok.statusCode).toBe(200);
    const account = await store.accountByPublicKey(keys.publicKey);
    expect(ok.json()).toEqual({ account: account!.id, storeReachable: true });
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    const denied = await app.inject({ method: 'GET', url: '/v3/whoami', headers: { 'x-api-key': keys.privateKey } });
    expect(denied.statusCode).toBe(401);
    expect(denied.json().detail).toEqual({
      message: "unknown key: this route needs the account's public key in x-api-key",
    });
  });

  it("gives plugin routes the app's JSON parser (the events route's raw parser is encapsulated)", async () => {
    const probe = createApp({
      store,
      plugins: [
        async (instance) => {
          instance.post('/v3/echo', async (request) => request.body);
        },
      ],
    });
    try {
      const res = await probe.inject({ method: 'POST', url: '/v3/echo', payload: { a: 1 } });
      expect(res.json()).toEqual({ a: 1 });
    } finally {
      await probe.close();
    }
  });
});
