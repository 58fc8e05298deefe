import { createAccount, createApp, openStore } from '@odpkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminGet,
  createTestDb,
  describeStores,
  event,
  FIXED_ISO,
  FIXED_NOW,
  postEvents,
  request,
  startTestServer,
  type TestServer,
} from './helpers.js';

describeStores('admin, health and metrics', (store) => {
  describe('admin read API', () => {
    let server: TestServer;
    let clock = FIXED_NOW;

    beforeAll(async () => {
      server = await startTestServer({ store, now: () => clock });
    });
    afterAll(() => server?.close());

    it('looks a customer up by any identifier: ids, identifiers, event count, newest 20 events', async () => {
      for (let i = 0; i < 22; i++) {
        clock = FIXED_NOW + i * 1000;
        const ids: Record<string, string> =
          i === 0 ? { email: 'Admin@X.io', fs_user_id: 'admin-u' } : { fs_user_id: 'admin-u' };
        expect(
          (await postEvents(server, server.account.publicKey, [event(ids, { i, idempotence_id: `admin-${i}` })]))
            .status,
        ).toBe(202);
      }
      const res = await adminGet(
        server,
        server.account.privateKey,
        '/admin/v1/customers?key=email&value=admin@x.io&limit=20',
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.json)).toEqual([
        'customer_id',
        'identifiers',
        'event_count',
        'event_count_capped',
        'recent_events',
        'segments',
        'next_cursor',
      ]);
      expect(res.json.identifiers).toEqual({ email: ['admin@x.io'], fs_user_id: ['admin-u'] });
      expect(res.json.event_count).toBe(22);
      expect(res.json.event_count_capped).toBe(false);
      expect(res.json.segments).toEqual([]);
      expect(res.json.recent_events).toHaveLength(20);
      expect(res.json.recent_events[0]).toEqual({
        type: 'fullstack',
        action: 'purchased',
        identifiers: { fs_user_id: 'admin-u' },
        data: { idempotence_id: 'admin-21', i: 21 },
        received_at: new Date(FIXED_NOW + 21_000).toISOString(),
      });
      expect(res.json.recent_events.map((e: { data: { i: number } }) => e.data.i)).toEqual(
        Array.from({ length: 20 }, (_, k) => 21 - k),
      );
      // The same customer by another identifier, with x-api-key instead of Bearer.
      const byId = await request(server.url, {
        path: '/admin/v1/customers?key=fs_user_id&value=admin-u',
        headers: { 'X-API-Key': server.account.privateKey },
      });
      expect(byId.json.customer_id).toBe(res.json.customer_id);
    });

    it('404 and 400 with the standard body', async () => {
      clock = FIXED_NOW;
      const missing = await adminGet(
        server,
        server.account.privateKey,
        '/admin/v1/customers?key=email&value=nobody@x.io',
      );
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({
        title: 'Not Found',
        status: 404,
        timestamp: FIXED_ISO,
        detail: { message: 'no customer with email = "nobody@x.io"' },
      });
      const bad = await adminGet(server, server.account.privateKey, '/admin/v1/customers?key=email');
      expect(bad.status).toBe(400);
      const noKey = await request(server.url, { path: '/admin/v1/stats' });
      expect(noKey.json).toEqual({
        title: 'Unauthorized',
        status: 401,
        timestamp: FIXED_ISO,
        detail: {
          message: "this route needs the account's private key in Authorization: Bearer <key> (or x-api-key)",
        },
      });
    });

    it('reports account-level counts', async () => {
      const res = await adminGet(server, server.account.privateKey, '/admin/v1/stats');
      expect(res.json).toEqual({
        customers: 1,
        events: 22,
        unattributed: 0,
        duplicates: 0,
        merges: 0,
        refused_merges: 0,
        oldest_event_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });
  });

  describe('health and metrics', () => {
    // A closed store stands in for one that can no longer write (a full disk, a lost database connection); the
    // failing-commit case is in store-failure.test.ts.
    it('GET /health probes a store write: 200 while it can, 503 when it cannot', async () => {
      for (const closed of [false, true]) {
        const testDb = await createTestDb(store);
        const opened = await openStore(testDb.db);
        const app = createApp({ store: opened, now: () => FIXED_NOW });
        try {
          if (closed) await opened.close(); // the store can no longer write
          const res = await app.inject({ method: 'GET', url: '/health' });
          if (!closed) {
            expect(res.statusCode).toBe(200);
            expect(res.json()).toEqual({ status: 'ok' });
            continue;
          }
          expect(res.statusCode).toBe(503);
          expect(res.json()).toEqual({
            title: 'Service Unavailable',
            status: 503,
            timestamp: FIXED_ISO,
            detail: { message: 'the store cannot write' },
          });
        } finally {
          await app.close();
          if (!closed) await opened.close();
          await testDb.drop();
        }
      }
    });

    it('a failing store answers POST /v3/events with 503 + Retry-After, never 500', async () => {
      const testDb = await createTestDb(store);
      const opened = await openStore(testDb.db);
      const app = createApp({ store: opened, now: () => FIXED_NOW });
      const account = await createAccount(opened);
      try {
        await opened.close();
        const res = await app.inject({
          method: 'POST',
          url: '/v3/events',
          headers: { 'x-api-key': account.publicKey, 'content-type': 'application/json' },
          payload: JSON.stringify([event({ fs_user_id: 'x' })]),
        });
        // The key check itself needs the store, so it is the first to notice.
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.json()).toEqual({
          title: 'Service Unavailable',
          status: 503,
          timestamp: FIXED_ISO,
          detail: { message: 'the account store is unavailable; retry later' },
        });
      } finally {
        await app.close();
        await testDb.drop();
      }
    });

    it('GET /metrics is Prometheus text with the ingestion counters, latency histogram and queue depth', async () => {
      const server = await startTestServer({ store });
      try {
        const e = event({ fs_user_id: 'metrics-u' });
        await postEvents(server, server.account.publicKey, [e, e]);
        await postEvents(server, server.account.publicKey, '[');
        await postEvents(server, server.account.publicKey, [{ type: 'x' }]);
        const res = await request(server.url, {
          path: '/metrics',
          headers: { 'x-api-key': server.account.privateKey },
        });
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        for (const line of [
          'odpkit_events_accepted_total 1',
          'odpkit_events_duplicate_total 1',
          'odpkit_requests_rejected_total{reason="malformed"} 1',
          'odpkit_requests_rejected_total{reason="invalid"} 1',
          'odpkit_customer_merges_total 0',
          'odpkit_customer_merges_refused_total 0',
          'odpkit_events_unattributed_total 0',
          'odpkit_pending_commit_events 0',
        ]) {
          expect(res.text.split('\n'), line).toContain(line);
        }
        // The one accepted request is in the histogram (its count, not a latency bucket: tests assert no timing).
        expect(res.text).toMatch(
          /^odpkit_http_request_duration_seconds_count\{route="\/v3\/events",status="202"\} 1$/m,
        );
      } finally {
        await server.close();
      }
    });
  });
});
