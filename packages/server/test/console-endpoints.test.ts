import http from 'node:http';
import { type Account, createAccount } from '@odpkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_ACCOUNT } from '../src/activity/live-hub.js';
import { EXPLAIN_MAX_EVENTS } from '../src/http/segment-explain.js';
import { MemberCounts } from '../src/segments/member-counts.js';
import { adminGet, describeStores, event, postEvents, request, startTestServer, type TestServer } from './helpers.js';

// The admin endpoints the web console uses, over real HTTP on SQLite: auth, the shared error shape, account isolation
// and their bounds.

interface LiveClient {
  status: number;
  body: string;
  messages: { event: string; data: unknown }[];
  waitFor(pred: (m: { event: string; data: unknown }) => boolean): Promise<{ event: string; data: unknown }>;
  close(): void;
}

/** Opens GET /admin/v1/live and collects its SSE messages as they arrive. */
function openLive(server: { url: string }, key: string): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      new URL('/admin/v1/live', server.url),
      { headers: { authorization: `Bearer ${key}` }, agent: false },
      (res) => {
        const messages: LiveClient['messages'] = [];
        const waiters: (() => void)[] = [];
        let buffer = '';
        const client: LiveClient = {
          status: res.statusCode ?? 0,
          body: '',
          messages,
          waitFor: (pred) =>
            new Promise((done) => {
              const check = () => {
                const found = messages.find(pred);
                if (found) done(found);
                else waiters.push(check);
              };
              check();
            }),
          close: () => req.destroy(),
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          client.body += chunk;
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const name = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (name && data) messages.push({ event: name, data: JSON.parse(data) });
            end = buffer.indexOf('\n\n');
          }
          for (const w of waiters.splice(0)) w();
        });
        res.on('error', () => {});
        if (res.statusCode === 200) resolve(client);
        else res.on('end', () => resolve({ ...client, body: client.body }));
      },
    );
    req.on('error', reject);
  });
}

function adminPost(server: { url: string }, key: string, path: string, body: unknown) {
  return request(server.url, {
    method: 'POST',
    path,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function expectErrorShape(json: unknown, status: number): void {
  expect(json).toMatchObject({ status, title: expect.any(String), timestamp: expect.any(String) });
  expect(typeof (json as { detail: { message: string } }).detail.message).toBe('string');
}

describe('console endpoints', () => {
  let server: TestServer;
  let a: Account;
  let b: Account;

  beforeAll(async () => {
    server = await startTestServer();
    a = server.account;
    b = await createAccount(server.store);
  });
  afterAll(() => server?.close());

  it('refuse a missing or public key with 401 in the shared error shape', async () => {
    for (const path of [
      '/admin/v1/overview',
      '/admin/v1/live',
      '/admin/v1/segment-counts',
      '/admin/v1/segments/x/explain?key=email&value=a',
    ]) {
      const none = await request(server.url, { path });
      expect(none.status, path).toBe(401);
      expectErrorShape(none.json, 401);
      const publicKey = await adminGet(server, a.publicKey, path);
      expect(publicKey.status, path).toBe(401);
    }
    const preview = await request(server.url, {
      method: 'POST',
      path: '/admin/v1/segments/preview',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(preview.status).toBe(401);
  });

  it('overview counts accepted events, duplicates and refused batches per minute, per account', async () => {
    const first = event({ email: 'count@x.io' });
    expect((await postEvents(server, a.publicKey, [first, event({ email: 'count@x.io' })])).status).toBe(202);
    expect((await postEvents(server, a.publicKey, [first])).status).toBe(202);
    expect((await postEvents(server, a.publicKey, [{ type: 'fullstack' }])).status).toBe(400);
    const overview = await adminGet(server, a.privateKey, '/admin/v1/overview?window=hour');
    expect(overview.status).toBe(200);
    const m = overview.json.per_minute;
    expect(m.t).toHaveLength(60);
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    expect(sum(m.accepted)).toBe(2);
    expect(sum(m.duplicates)).toBe(1);
    expect(sum(m.rejected)).toBe(1);
    expect(overview.json).toMatchObject({ store: 'sqlite', version: expect.any(String) });
    expect(overview.json.events).toBeGreaterThanOrEqual(2);
    const day = await adminGet(server, a.privateKey, '/admin/v1/overview?window=day');
    expect(day.json.per_minute.t).toHaveLength(1440);
    // B's counters know nothing of A's traffic.
    const other = await adminGet(server, b.privateKey, '/admin/v1/overview');
    expect(sum(other.json.per_minute.accepted)).toBe(0);
    const bad = await adminGet(server, a.privateKey, '/admin/v1/overview?window=week');
    expect(bad.status).toBe(400);
    expectErrorShape(bad.json, 400);
  });

  it('live streams committed events and refused batches to their own account only', async () => {
    const mine = await openLive(server, a.privateKey);
    const theirs = await openLive(server, b.privateKey);
    try {
      expect(mine.status).toBe(200);
      await mine.waitFor((m) => m.event === 'ready');
      expect((await postEvents(server, a.publicKey, [event({ email: 'live@x.io' }, { price: 5 })])).status).toBe(202);
      expect((await postEvents(server, a.publicKey, [{ type: 'fullstack' }])).status).toBe(400);
      const accepted = await mine.waitFor((m) => m.event === 'accepted');
      expect(accepted.data).toMatchObject({
        stored: 1,
        events: [{ type: 'fullstack', action: 'purchased', identifiers: { email: 'live@x.io' }, data: { price: 5 } }],
      });
      const rejected = await mine.waitFor((m) => m.event === 'rejected');
      expect(rejected.data).toMatchObject({ status: 400, detail: { invalids: [{ event: 0 }] } });
      // B's stream was open all along and saw nothing of A's; B's own event reaches it.
      expect((await postEvents(server, b.publicKey, [event({ email: 'b@x.io' })])).status).toBe(202);
      const own = await theirs.waitFor((m) => m.event === 'accepted');
      expect(JSON.stringify(own.data)).toContain('b@x.io');
      expect(theirs.messages.some((m) => JSON.stringify(m.data).includes('live@x.io'))).toBe(false);
    } finally {
      mine.close();
      theirs.close();
    }
  });

  it(`refuses stream number ${MAX_STREAMS_PER_ACCOUNT + 1} of one account with 409, and frees a slot on close`, async () => {
    const open: LiveClient[] = [];
    try {
      for (let i = 0; i < MAX_STREAMS_PER_ACCOUNT; i++) open.push(await openLive(server, a.privateKey));
      expect(open.every((c) => c.status === 200)).toBe(true);
      const refused = await openLive(server, a.privateKey);
      expect(refused.status).toBe(409);
      expectErrorShape(JSON.parse(refused.body), 409);
      // Another account is not affected by A's streams.
      const other = await openLive(server, b.privateKey);
      expect(other.status).toBe(200);
      other.close();
      open.pop()?.close();
      let again: LiveClient | null = null;
      // The server sees the close asynchronously: retry until the slot is free.
      for (let i = 0; i < 100 && again?.status !== 200; i++) {
        again = await openLive(server, a.privateKey);
        if (again.status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(again?.status).toBe(200);
      again?.close();
    } finally {
      for (const c of open) c.close();
    }
  });

  it('preview reports validation errors with their paths, and explains the deciding condition', async () => {
    const post = (body: unknown, key = a.privateKey) => adminPost(server, key, '/admin/v1/segments/preview', body);
    expect((await postEvents(server, a.publicKey, [event({ email: 'why@x.io' }, { price: 50 })])).status).toBe(202);
    const invalid = await post({
      segment: {
        condition: { and: [{ identifier: 'email' }, { event: { action: 'purchased' }, count: { gte: 'x' } }] },
      },
      customer: { key: 'email', value: 'why@x.io' },
    });
    expect(invalid.status).toBe(400);
    expectErrorShape(invalid.json, 400);
    expect(invalid.json.detail.errors.join('\n')).toContain('condition.and[1].count.gte');

    const condition = {
      and: [
        { identifier: 'email' },
        { event: { action: 'purchased', where: { price: { gte: 100 } } } },
        { event: { action: 'purchased' } },
      ],
    };
    const explained = await post({ segment: { condition }, customer: { key: 'email', value: 'why@x.io' } });
    expect(explained.status).toBe(200);
    expect(explained.json).toMatchObject({ qualified: false, deciding: 'condition.and[1]', truncated: false });
    expect(explained.json.conditions).toContainEqual({ path: 'condition.and[1]', result: false, count: 0 });
    expect(explained.json.conditions).toContainEqual({ path: 'condition.and[2]', result: true, count: 1 });
    const held = await post({
      segment: { condition: { or: [{ identifier: 'fs_user_id' }, { not: { identifier: 'vuid' } }] } },
      customer: { key: 'email', value: 'why@x.io' },
    });
    expect(held.json).toMatchObject({ qualified: true, deciding: 'condition.or[1].not' });

    const unknown = await post({ segment: { condition }, customer: { key: 'email', value: 'nobody@x.io' } });
    expect(unknown.status).toBe(404);
    expectErrorShape(unknown.json, 404);
    // Another account's customer is unknown to this key.
    const fromB = await post({ segment: { condition }, customer: { key: 'email', value: 'why@x.io' } }, b.privateKey);
    expect(fromB.status).toBe(404);
    const shapeless = await post({ condition });
    expect(shapeless.status).toBe(400);
    expectErrorShape(shapeless.json, 400);
  });

  it('explains a saved segment for a customer', async () => {
    const put = await request(server.url, {
      method: 'PUT',
      path: '/admin/v1/segments/buyers',
      headers: { authorization: `Bearer ${a.privateKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ condition: { event: { action: 'purchased' } } }),
    });
    expect(put.status).toBe(201);
    const res = await adminGet(server, a.privateKey, '/admin/v1/segments/buyers/explain?key=email&value=why@x.io');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ segment: 'buyers', qualified: true, deciding: 'condition' });
    const missing = await adminGet(server, a.privateKey, '/admin/v1/segments/none/explain?key=email&value=why@x.io');
    expect(missing.status).toBe(404);
    const noCustomer = await adminGet(server, a.privateKey, '/admin/v1/segments/buyers/explain?key=email');
    expect(noCustomer.status).toBe(400);
    expectErrorShape(noCustomer.json, 400);
  });

  it(`explains over at most the newest ${EXPLAIN_MAX_EVENTS} events, and says so`, async () => {
    const ids = { email: 'heavy@x.io' };
    const batch = 500;
    for (let sent = 0; sent <= EXPLAIN_MAX_EVENTS; sent += batch) {
      const events = Array.from({ length: batch }, () => event(ids, {}, 'viewed'));
      expect((await postEvents(server, a.publicKey, events)).status).toBe(202);
    }
    const res = await adminPost(server, a.privateKey, '/admin/v1/segments/preview', {
      segment: { condition: { event: { action: 'viewed' }, count: { gte: 1 } } },
      customer: { key: 'email', value: 'heavy@x.io' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ truncated: true, events_examined: EXPLAIN_MAX_EVENTS, qualified: true });
  }, 60_000);

  it('counts segment members in the background and answers without waiting', async () => {
    const path = '/admin/v1/segment-counts';
    let counts = (await adminGet(server, a.privateKey, path)).json;
    for (let i = 0; i < 200 && (counts.running || counts.segments.buyers === undefined); i++) {
      await new Promise((r) => setTimeout(r, 20));
      counts = (await adminGet(server, a.privateKey, path)).json;
    }
    // Buyers: count@x.io, live@x.io and why@x.io bought; heavy@x.io only viewed.
    expect(counts).toMatchObject({ complete: true, running: false, segments: { buyers: { members: 3 } } });
    expect(counts.scanned).toBeGreaterThanOrEqual(4);
    const other = (await adminGet(server, b.privateKey, path)).json;
    expect(other.segments).toEqual({});
  });
});

describe('console files', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('redirects / to the console and serves its files without a key', async () => {
    const root = await request(server.url, { path: '/' });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/console/');
    const index = await request(server.url, { path: '/console/' });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    const script = /src="\/console\/(assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    expect(script).toBeDefined();
    const js = await request(server.url, { path: `/console/${script}` });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.headers['cache-control']).toContain('immutable');
  });

  it('answers only the built files: no path reaches anything else', async () => {
    for (const path of [
      '/console/../package.json',
      '/console/%2e%2e/%2e%2e/package.json',
      '/console/..%2fpackage.json',
      '/console/assets/../../package.json',
      '/console//etc/passwd',
      '/console/%00',
      '/console/index.html%00.js',
    ]) {
      const res = await request(server.url, { path });
      expect(res.status, path).toBe(404);
      expectErrorShape(res.json, 404);
    }
  });
});

// The member count walks customers a page at a time through the store; both stores page the same way.
describeStores('segment member counts', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store });
  });
  afterAll(() => server?.close());

  it('pages customers in id order with their identifiers, per account, and counts stop at the cap', async () => {
    const { account } = server;
    for (let i = 0; i < 5; i++) {
      expect((await postEvents(server, account.publicKey, [event({ email: `p${i}@x.io` })])).status).toBe(202);
    }
    const first = await server.store.customerPage(account.id, null, 2);
    const rest = await server.store.customerPage(account.id, first.at(-1)!.customerId, 10);
    const all = [...first, ...rest];
    expect(first).toHaveLength(2);
    expect(all).toHaveLength(5);
    const ids = all.map((c) => Number(c.customerId));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(all.flatMap((c) => c.identifiers.email ?? []).sort()).toEqual([
      'p0@x.io',
      'p1@x.io',
      'p2@x.io',
      'p3@x.io',
      'p4@x.io',
    ]);
    const other = await createAccount(server.store);
    expect(await server.store.customerPage(other.id, null, 10)).toEqual([]);

    await server.store.putSegmentDefinition(account.id, 'emailable', {
      name: 'emailable',
      condition: { identifier: 'email' },
    });
    const capped = new MemberCounts(server.store, server.app.odpkit.segments, Date.now, 3);
    let snapshot = await capped.snapshot(account.id);
    for (let i = 0; i < 200 && (snapshot.running || snapshot.computed_at === null); i++) {
      await new Promise((r) => setTimeout(r, 10));
      snapshot = await capped.snapshot(account.id);
    }
    expect(snapshot).toMatchObject({ scanned: 3, complete: false, segments: { emailable: { members: 3 } } });
  });
});

describe('live stream and the request timeout', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { requestTimeoutMs: 200, headersTimeoutMs: 200 } });
  });
  afterAll(() => server?.close());

  it('keeps a stream open past the request timeout (that bounds receiving a request, not answering it)', async () => {
    const live = await openLive(server, server.account.privateKey);
    try {
      expect(live.status).toBe(200);
      // Several request timeouts, and the server's timeout checks, pass while the stream is open.
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await postEvents(server, server.account.publicKey, [event({ email: 'late@x.io' })])).status).toBe(202);
      const accepted = await live.waitFor((m) => m.event === 'accepted');
      expect(JSON.stringify(accepted.data)).toContain('late@x.io');
    } finally {
      live.close();
    }
  });
});
