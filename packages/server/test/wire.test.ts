import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminGet,
  describeStores,
  event,
  FIXED_ISO,
  FIXED_NOW,
  postEvents,
  request,
  startTestServer,
  type TestServer,
} from './helpers.js';

// The wire contract of POST /v3/events: every status with its exact body, on both stores.
describeStores('POST /v3/events', (store) => {
  describe('wire contract', () => {
    let server: TestServer;
    let key: string;
    const stats = async () => (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;

    beforeAll(async () => {
      server = await startTestServer({
        store,
        now: () => FIXED_NOW,
        limits: { maxEvents: 5, maxBodyBytes: 64 * 1024 },
      });
      key = server.account.publicKey;
    });
    afterAll(() => server?.close());

    it('202 with the exact ODP body, and the events are stored', async () => {
      const before = (await stats()).events;
      const res = await postEvents(server, key, [event({ fs_user_id: 'wire-1' }), event({ fs_user_id: 'wire-1' })]);
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ title: 'Accepted', status: 202, timestamp: FIXED_ISO });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect((await stats()).events).toBe(before + 2);
    });

    it('accepts a single event object', async () => {
      const res = await postEvents(server, key, event({ fs_user_id: 'wire-single' }));
      expect(res.status).toBe(202);
      expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'wire-single')).not.toBeNull();
    });

    it('accepts text/plain and a missing content-type (what browsers and curl send)', async () => {
      const a = await postEvents(server, key, [event({ fs_user_id: 'wire-text' })], {
        'content-type': 'text/plain;charset=UTF-8',
      });
      expect(a.status).toBe(202);
      const b = await request(server.url, {
        method: 'POST',
        path: '/v3/events',
        headers: { 'x-api-key': key },
        body: JSON.stringify([event({ fs_user_id: 'wire-nocontenttype' })]),
      });
      expect(b.status).toBe(202);
    });

    it('takes the key header in any case', async () => {
      for (const name of ['X-API-KEY', 'X-Api-Key', 'x-api-key']) {
        const res = await request(server.url, {
          method: 'POST',
          path: '/v3/events',
          headers: { [name]: key, 'Content-Type': 'application/json' },
          body: JSON.stringify([event({ fs_user_id: `wire-case-${name}` })]),
        });
        expect(res.status, name).toBe(202);
      }
    });

    it('accepts gzip and deflate (zlib and raw) bodies', async () => {
      const body = (id: string) => JSON.stringify([event({ fs_user_id: id })]);
      const cases: [string, Buffer, string][] = [
        ['gzip', gzipSync(body('wire-gzip')), 'wire-gzip'],
        ['deflate', deflateSync(body('wire-deflate')), 'wire-deflate'],
        ['deflate', deflateRawSync(body('wire-rawdeflate')), 'wire-rawdeflate'],
      ];
      for (const [encoding, compressed, id] of cases) {
        const res = await postEvents(server, key, compressed, { 'content-encoding': encoding });
        expect(res.status, id).toBe(202);
        expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', id), id).not.toBeNull();
      }
    });

    it('400 lists every invalid event by index and stores nothing of the batch', async () => {
      const before = (await stats()).events;
      const res = await postEvents(server, key, [
        event({ fs_user_id: 'wire-400-ok' }),
        { type: 'fullstack', identifiers: { fs_user_id: 'x' }, data: {} },
        event({ fs_user_id: 'wire-400-ok2' }),
        { type: 'fullstack', action: 'a', identifiers: {}, data: {} },
      ]);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        title: 'Bad Request',
        status: 400,
        timestamp: FIXED_ISO,
        detail: {
          invalids: [
            { event: 1, message: "'action' must be a non-empty string" },
            { event: 3, message: "'identifiers' must hold at least one identifier" },
          ],
        },
      });
      expect((await stats()).events).toBe(before);
      expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'wire-400-ok')).toBeNull();
    });

    it('400 with a clear detail for malformed JSON', async () => {
      const res = await postEvents(server, key, '[{"type": "fullstack",');
      expect(res.status).toBe(400);
      expect(res.json.title).toBe('Bad Request');
      expect(res.json.timestamp).toBe(FIXED_ISO);
      expect(res.json.detail.message).toBe('the body is not valid JSON: syntax error at character 22');
    });

    it('401 for a missing key and for an unknown key, with the standard body', async () => {
      const missing = await request(server.url, {
        method: 'POST',
        path: '/v3/events',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([event({ fs_user_id: 'x' })]),
      });
      expect(missing.status).toBe(401);
      expect(missing.json).toEqual({
        title: 'Unauthorized',
        status: 401,
        timestamp: FIXED_ISO,
        detail: { message: "this route needs the account's public key in x-api-key" },
      });
      const unknown = await postEvents(server, 'pk_not-a-key', [event({ fs_user_id: 'x' })]);
      expect(unknown.status).toBe(401);
      expect(unknown.json).toEqual({
        title: 'Unauthorized',
        status: 401,
        timestamp: FIXED_ISO,
        detail: { message: "unknown key: this route needs the account's public key in x-api-key" },
      });
      // The private key is not an events key.
      expect((await postEvents(server, server.account.privateKey, [event({ fs_user_id: 'x' })])).status).toBe(401);
    });

    it('413 when a batch holds more events than the limit', async () => {
      const res = await postEvents(
        server,
        key,
        Array.from({ length: 6 }, () => event({ fs_user_id: 'wire-413' })),
      );
      expect(res.status).toBe(413);
      expect(res.json).toEqual({
        title: 'Payload Too Large',
        status: 413,
        timestamp: FIXED_ISO,
        detail: { message: 'a batch holds at most 5 events; this one holds 6' },
      });
    });

    it('413 when the body is larger than the byte limit', async () => {
      const big = [event({ fs_user_id: 'wire-413b' }, { blob: 'x'.repeat(70 * 1024) })];
      const res = await postEvents(server, key, big);
      expect(res.status).toBe(413);
      expect(res.json).toEqual({
        title: 'Payload Too Large',
        status: 413,
        timestamp: FIXED_ISO,
        detail: { message: 'the body exceeds 65536 bytes' },
      });
    });

    it('413 when the decompressed body is larger than the limit, though the gzip is small', async () => {
      const compressed = gzipSync(JSON.stringify([event({ fs_user_id: 'x' }, { blob: 'x'.repeat(70 * 1024) })]));
      expect(compressed.length).toBeLessThan(64 * 1024);
      const res = await postEvents(server, key, compressed, { 'content-encoding': 'gzip' });
      expect(res.status).toBe(413);
      expect(res.json).toEqual({
        title: 'Payload Too Large',
        status: 413,
        timestamp: FIXED_ISO,
        detail: { message: 'the decompressed body exceeds 65536 bytes' },
      });
    });

    it('415 for a media type or encoding it cannot read', async () => {
      const a = await postEvents(server, key, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(a.status).toBe(415);
      expect(a.json).toEqual({
        title: 'Unsupported Media Type',
        status: 415,
        timestamp: FIXED_ISO,
        detail: { message: 'the body must be application/json or text/plain' },
      });
      const b = await postEvents(server, key, '[]', { 'content-encoding': 'br' });
      expect(b.status).toBe(415);
    });

    it('answers the CORS preflight and sets the allow-origin header on /v3 responses', async () => {
      const pre = await request(server.url, {
        method: 'OPTIONS',
        path: '/v3/events',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('*');
      expect(pre.headers['access-control-allow-headers']).toContain('x-api-key');
      const res = await postEvents(server, key, [event({ fs_user_id: 'wire-cors' })], {
        origin: 'https://shop.example',
      });
      expect(res.headers['access-control-allow-origin']).toBe('*');
      // The admin API is not readable cross-origin.
      const admin = await adminGet(server, server.account.privateKey, '/admin/v1/stats');
      expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('404 with the standard body for an unknown route', async () => {
      const res = await request(server.url, { path: '/v3/nothing' });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({
        title: 'Not Found',
        status: 404,
        timestamp: FIXED_ISO,
        detail: { message: 'no route at this path' },
      });
    });
  });

  describe('under overload', () => {
    it('503 with Retry-After when a batch would overflow the pending-commit queue, and stores nothing of it', async () => {
      // The bound is 15 pending events and the commit window long, so a first batch of 10 waits in the queue and a
      // second batch of 10 cannot fit; the test waits for the queue gauge instead of sleeping.
      const server = await startTestServer({
        store,
        now: () => FIXED_NOW,
        commitWindowMs: 1500,
        limits: { maxPendingEvents: 15 },
      });
      try {
        const key = server.account.publicKey;
        const first = postEvents(
          server,
          key,
          Array.from({ length: 10 }, () => event({ fs_user_id: 'overload-1' })),
        );
        for (;;) {
          const m = await request(server.url, {
            path: '/metrics',
            headers: { 'x-api-key': server.account.privateKey },
          });
          if (/^odpkit_pending_commit_events 10$/m.test(m.text)) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        const second = await postEvents(
          server,
          key,
          Array.from({ length: 10 }, () => event({ fs_user_id: 'overload-2' })),
        );
        expect(second.status).toBe(503);
        expect(second.headers['retry-after']).toBe('1');
        expect(second.json).toEqual({
          title: 'Service Unavailable',
          status: 503,
          timestamp: FIXED_ISO,
          detail: { message: 'the server is overloaded; retry later' },
        });
        expect((await first).status).toBe(202);
        expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'overload-1')).not.toBeNull();
        expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'overload-2')).toBeNull();
        const metrics = await request(server.url, {
          path: '/metrics',
          headers: { 'x-api-key': server.account.privateKey },
        });
        expect(metrics.text).toMatch(/^odpkit_requests_rejected_total\{reason="overloaded"\} 1$/m);
      } finally {
        await server.close();
      }
    });
  });
});
