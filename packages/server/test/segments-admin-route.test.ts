import { type Account, createAccount } from '@odpkit/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeStores, event, FIXED_NOW, postEvents, startTestServer, type TestServer } from './helpers.js';

// The admin segment API through the real server on each store: the route, the segment service and the store's
// segment definitions together. Account A is the server's default account, B a second one.
describeStores('admin segment API', (store) => {
  let server: TestServer;
  let b: Account;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer({ store, now: () => FIXED_NOW });
    b = await createAccount(server.store);
    base = `${server.url}/admin/v1/segments`;
  });
  afterAll(() => server?.close());

  const privA = () => server.account.privateKey;
  async function call(method: string, path: string, body?: unknown, key = privA()) {
    const response = await fetch(base + path, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? null : JSON.parse(text) };
  }

  function expectProblem(json: Record<string, unknown>, status: number, title: string) {
    expect(Object.keys(json).sort()).toEqual(['detail', 'status', 'timestamp', 'title']);
    expect(json).toMatchObject({ status, title });
    expect(Number.isNaN(Date.parse(json['timestamp'] as string))).toBe(false);
  }

  const hasEmail = { description: 'has an email', condition: { identifier: 'email' } };

  it('creates (201), replaces (200), reads, lists and deletes (204, then 404)', async () => {
    const created = await call('PUT', '/has_email', hasEmail);
    expect(created.status).toBe(201);
    // No event condition: nothing to build, so ready at once.
    expect(created.json).toEqual({
      name: 'has_email',
      ...hasEmail,
      updatedAt: FIXED_NOW,
      state: 'ready',
      progress: { scanned: 0, total: 0 },
    });

    const replaced = await call('PUT', '/has_email', { name: 'has_email', condition: { identifier: 'vuid' } });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ name: 'has_email', condition: { identifier: 'vuid' } });
    expect(replaced.json).not.toHaveProperty('description');

    expect((await call('GET', '/has_email')).json).toMatchObject({ condition: { identifier: 'vuid' } });
    const list = await call('GET', '');
    expect(list.status).toBe(200);
    expect(list.json.segments.map((s: { name: string }) => s.name)).toEqual(['has_email']);

    expect((await call('DELETE', '/has_email')).status).toBe(204);
    const again = await call('DELETE', '/has_email');
    expect(again.status).toBe(404);
    expectProblem(again.json, 404, 'Not Found');
    expect(again.json.detail).toEqual({ message: 'no segment named "has_email"' });
    expect((await call('GET', '/has_email')).status).toBe(404);
  });

  it('answers 400 with every validation error', async () => {
    const res = await call('PUT', '/bad', {
      condition: { and: [{ event: { where: { price: { gtee: 1 } } }, within: '30x' }] },
    });
    expect(res.status).toBe(400);
    expectProblem(res.json, 400, 'Bad Request');
    expect(res.json.detail).toEqual({
      message: 'the segment definition is invalid',
      errors: [
        'condition.and[0].event.where.price: unknown operator "gtee" (expected one of eq, ne, gt, gte, lt, lte, in, exists)',
        'condition.and[0].within: "30x" is not a duration (use a number followed by s, m, h or d, e.g. "30d")',
      ],
    });
  });

  it('rejects a body name that contradicts the URL, and an invalid URL name', async () => {
    const mismatch = await call('PUT', '/one', { name: 'two', condition: { identifier: 'email' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.detail).toEqual({
      message: 'the segment definition is invalid',
      errors: ['name: "two" does not match the name in the URL "one"'],
    });
    const badName = await call('PUT', '/.hidden', { condition: { identifier: 'email' } });
    expect(badName.status).toBe(400);
    expect(badName.json.detail.errors[0]).toMatch(/^name: ".hidden" may contain only/);
  });

  it('applies a segment file at segments:apply and segments/apply, with ?replace=true deleting the rest', async () => {
    await call('PUT', '/old', hasEmail);
    const file = [
      { name: 'a', condition: { identifier: 'email' } },
      { name: 'b', condition: { event: { action: 'purchased' }, within: '7d' } },
    ];
    const first = await call('POST', ':apply', file);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ created: ['a', 'b'], updated: [], unchanged: [], deleted: [] });
    const second = await call('POST', '/apply?replace=true', file);
    expect(second.json).toEqual({ created: [], updated: [], unchanged: ['a', 'b'], deleted: ['old'] });
    expect((await call('GET', '')).json.segments.map((s: { name: string }) => s.name)).toEqual(['a', 'b']);
  });

  it('applies nothing when the file has errors, and lists them all', async () => {
    const res = await call('POST', ':apply', [
      { name: 'c', condition: { identifier: 'email' } },
      { name: 'c', condition: { and: [] } },
    ]);
    expect(res.status).toBe(400);
    expectProblem(res.json, 400, 'Bad Request');
    expect(res.json.detail.message).toBe('the segment file is invalid; nothing was applied');
    expect(res.json.detail.errors).toEqual([
      'segments[1].condition.and: must be a non-empty array',
      'segments[1].name: duplicate name "c" (also used by segments[0])',
    ]);
    expect((await call('GET', '/c')).status).toBe(404);
  });

  it('answers 400 in the problem shape for a body that is not JSON', async () => {
    const response = await fetch(`${base}/x`, {
      method: 'PUT',
      headers: { 'x-api-key': privA(), 'content-type': 'application/json' },
      body: '{"condition": ',
    });
    expect(response.status).toBe(400);
    expectProblem((await response.json()) as Record<string, unknown>, 400, 'Bad Request');
  });

  it('401 without a valid admin key', async () => {
    for (const key of ['', server.account.publicKey, 'sk_not-a-key']) {
      const res = await call('GET', '', undefined, key);
      expect(res.status).toBe(401);
      expectProblem(res.json, 401, 'Unauthorized');
    }
  });

  it("keeps accounts apart: B neither sees nor deletes A's segments", async () => {
    await call('PUT', '/only_a', hasEmail);
    expect((await call('GET', '', undefined, b.privateKey)).json.segments).toEqual([]);
    expect((await call('GET', '/only_a', undefined, b.privateKey)).status).toBe(404);
    expect((await call('DELETE', '/only_a', undefined, b.privateKey)).status).toBe(404);
    expect((await call('GET', '/only_a')).status).toBe(200);
  });

  it('builds the state of a segment defined over stored events in the background, showing progress until ready', async () => {
    const events = Array.from({ length: 30 }, (_, i) => event({ fs_user_id: `builder-${i % 3}` }));
    expect((await postEvents(server, server.account.publicKey, events)).status).toBe(202);
    const put = await call('PUT', '/bought', { condition: { event: { action: 'purchased' }, count: { gte: 2 } } });
    expect(put.status).toBe(201);
    expect(['building', 'ready']).toContain(put.json.state);
    // The background builder finishes on its own; poll until it has (no time limit of our own).
    let listed: { name: string; state: string; progress: { scanned: number; total: number } } | undefined;
    for (;;) {
      listed = (await call('GET', '')).json.segments.find((s: { name: string }) => s.name === 'bought');
      if (listed?.state === 'ready') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(listed?.progress.total).toBeGreaterThan(0);
    expect(listed?.progress.scanned).toBe(listed?.progress.total);
    expect((await call('DELETE', '/bought')).status).toBe(204);
  });
});
