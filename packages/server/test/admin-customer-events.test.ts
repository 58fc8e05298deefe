import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminGet, describeStores, event, FIXED_NOW, postEvents, startTestServer, type TestServer } from './helpers.js';

/**
 * The admin customer view pages its events (newest first) instead of listing the whole history: `?limit=` (default
 * 50, at most 500) and `?cursor=` (the previous page's next_cursor).
 */
describeStores('admin customer view: event pages', (store) => {
  let server: TestServer;
  let clock = FIXED_NOW;
  const view = (query: string) =>
    adminGet(server, server.account.privateKey, `/admin/v1/customers?key=fs_user_id&value=pager${query}`);

  beforeAll(async () => {
    server = await startTestServer({ store, now: () => clock });
    // 60 events: three requests of 20, the events of one request sharing one receivedAt (ties broken by arrival).
    for (let r = 0; r < 3; r++) {
      clock = FIXED_NOW + r * 1000;
      const batch = Array.from({ length: 20 }, (_, i) => event({ fs_user_id: 'pager' }, { i: r * 20 + i }));
      expect((await postEvents(server, server.account.publicKey, batch)).status).toBe(202);
    }
  });
  afterAll(() => server?.close());

  const order = (res: { json: { recent_events: { data: { i: number } }[] } }) =>
    res.json.recent_events.map((e) => e.data.i);

  it('shows the newest 50 events by default, with a cursor to the rest', async () => {
    const res = await view('');
    expect(res.status).toBe(200);
    expect(res.json.event_count).toBe(60);
    expect(order(res)).toEqual(Array.from({ length: 50 }, (_, k) => 59 - k));
    expect(typeof res.json.next_cursor).toBe('string');
    const rest = await view(`&cursor=${encodeURIComponent(res.json.next_cursor)}`);
    expect(order(rest)).toEqual(Array.from({ length: 10 }, (_, k) => 9 - k));
    expect(rest.json.next_cursor).toBeNull();
  });

  it('walks the whole history in pages of any size, each event once, across equal timestamps', async () => {
    for (const limit of [1, 7, 20, 500]) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await view(`&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        expect(res.status).toBe(200);
        expect(res.json.recent_events.length).toBeLessThanOrEqual(limit);
        seen.push(...order(res));
        cursor = res.json.next_cursor;
      } while (cursor !== null);
      expect(seen).toEqual(Array.from({ length: 60 }, (_, k) => 59 - k));
    }
  });

  it('refuses a limit outside 1..500 and a cursor it did not make, with a 400', async () => {
    for (const bad of ['&limit=0', '&limit=501', '&limit=abc', '&limit=', '&cursor=x', '&cursor=1_0', '&cursor=-1_5']) {
      const res = await view(bad);
      expect(res.status, bad).toBe(400);
      expect(res.json.detail.message).toMatch(/limit|cursor/);
    }
  });
});
