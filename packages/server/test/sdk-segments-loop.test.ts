import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOdpClient, type OdpClient } from '@odpkit/sdk';
import { createUserContext, fetchQualifiedSegments } from '@odpkit/sdk/segments';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeStores, startTestServer, type TestServer } from './helpers.js';

const DAY = 86_400_000;

const SEGMENTS = [
  { name: 'has_purchased', condition: { event: { action: 'purchased' } } },
  {
    name: 'big_spender',
    description: 'two purchases of 100 or more within 30 days',
    condition: { event: { action: 'purchased', where: { price: { gte: 100 } } }, count: { gte: 2 }, within: '30d' },
  },
  {
    name: 'newsletter_reader',
    condition: { and: [{ identifier: 'email' }, { event: { action: 'newsletter_opened' } }] },
  },
  { name: 'window_shopper', condition: { not: { event: { action: 'purchased' } } } },
];

/**
 * The whole loop, with real parts only: the SDK sends events to a running server (each store, segment file
 * applied at start), the server stitches identities and evaluates segments, and the SDK's user context asks
 * GraphQL which segments the user is in. The server's clock is injected so a window can slide.
 */
describeStores('sendOdpEvent → stitching → segments → isQualifiedFor', (store) => {
  let dir: string;
  let server: TestServer;
  let client: OdpClient;
  let now = Date.parse('2026-06-01T00:00:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'odpkit-loop-'));
    const segmentsFile = path.join(dir, 'segments.json');
    writeFileSync(segmentsFile, JSON.stringify(SEGMENTS));
    server = await startTestServer({
      store,
      publicKey: 'pk_loop',
      privateKey: 'sk_loop',
      segmentsFile,
      now: () => now,
    });
    client = createOdpClient({
      odp: {
        apiKey: 'pk_loop',
        apiHost: server.url,
        segmentsToCheck: ['has_purchased', 'big_spender', 'newsletter_reader', 'window_shopper', 'not_defined'],
      },
      logLevel: 'silent',
    });
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('events sent under a vuid count before any identify', async () => {
    const vuid = 'vuid_0e46d6e7b306407c8d33c9beffe';
    client.sendOdpEvent('page_viewed', { vuid }, undefined, { page: '/shirts' });
    client.sendOdpEvent('purchased', { vuid }, undefined, { item: 'shirt', price: 120 });
    expect((await client.flush()).sent).toBe(2);
    const byVuid = createUserContext(client, vuid);
    expect(await byVuid.fetchQualifiedSegments()).toBe(true);
    expect(byVuid.qualifiedSegments).toEqual(['has_purchased']);
    expect(byVuid.isQualifiedFor('window_shopper')).toBe(false);
  });

  it('identifyUser links the vuid to fs_user_id: a query by fs_user_id sees the whole history', async () => {
    const vuid = 'vuid_0e46d6e7b306407c8d33c9beffe';
    client.identifyUser({ vuid, fs_user_id: 'user123' });
    client.sendOdpEvent('purchased', { fs_user_id: 'user123' }, 'fullstack', { item: 'coat', price: 250 });
    client.sendOdpEvent('newsletter_opened', { fs_user_id: 'user123', email: 'User123@Example.com' });
    expect((await client.flush()).sent).toBe(3);

    const user = createUserContext(client, 'user123');
    expect(await user.fetchQualifiedSegments()).toBe(true);
    // Two purchases of 100 or more: one under the vuid before the link, one under fs_user_id after it.
    expect(user.qualifiedSegments).toEqual(['has_purchased', 'big_spender', 'newsletter_reader']);
    expect(user.isQualifiedFor('big_spender')).toBe(true);
    expect(user.isQualifiedFor('not_defined')).toBe(false);

    // Any identifier of the stitched customer gives the same answer; email is compared lower-cased.
    const byEmail = await fetchQualifiedSegments(client, { key: 'email', value: 'user123@example.com' });
    expect(byEmail).toMatchObject({ ok: true, segments: ['has_purchased', 'big_spender', 'newsletter_reader'] });
  });

  it('answers come from the cache until IGNORE_CACHE or RESET_CACHE asks the server again', async () => {
    const user = createUserContext(client, 'cache-user');
    client.sendOdpEvent('page_viewed', { fs_user_id: 'cache-user' });
    await client.flush();
    expect(await fetchQualifiedSegments(client, 'cache-user')).toMatchObject({ segments: ['window_shopper'] });
    client.sendOdpEvent('purchased', { fs_user_id: 'cache-user' }, undefined, { price: 5 });
    await client.flush();
    expect(await fetchQualifiedSegments(client, 'cache-user')).toMatchObject({
      segments: ['window_shopper'],
      fromCache: true,
    });
    expect(await fetchQualifiedSegments(client, 'cache-user', ['IGNORE_CACHE'])).toMatchObject({
      segments: ['has_purchased'],
      fromCache: false,
    });
    expect(await user.fetchQualifiedSegments(['RESET_CACHE'])).toBe(true);
    expect(user.qualifiedSegments).toEqual(['has_purchased']);
  });

  it('membership moves by itself when the window slides, without new events', async () => {
    const user = createUserContext(client, 'user123');
    now += 29 * DAY;
    await user.fetchQualifiedSegments(['IGNORE_CACHE']);
    expect(user.isQualifiedFor('big_spender')).toBe(true);
    now += 2 * DAY;
    await user.fetchQualifiedSegments(['IGNORE_CACHE']);
    expect(user.isQualifiedFor('big_spender')).toBe(false);
    expect(user.isQualifiedFor('has_purchased')).toBe(true);
  });

  it('the admin customer view lists the segments the customer is in', async () => {
    const res = await fetch(`${server.url}/admin/v1/customers?key=fs_user_id&value=user123`, {
      headers: { 'x-api-key': 'sk_loop' },
    });
    expect(res.status).toBe(200);
    const profile = (await res.json()) as { segments: string[]; identifiers: Record<string, string[]> };
    expect(profile.segments).toEqual(['has_purchased', 'newsletter_reader']);
    expect(profile.identifiers.vuid).toEqual(['vuid_0e46d6e7b306407c8d33c9beffe']);
  });

  it('an unknown user is reported as invalid_identifier; a wrong key as HTTP 401', async () => {
    const unknown = createUserContext(client, 'never-seen');
    expect(await unknown.fetchQualifiedSegments()).toBe(false);
    expect(unknown.lastSegmentsError).toMatchObject({ reason: 'invalid_identifier' });

    const wrongKey = createOdpClient({
      odp: { apiKey: 'pk_wrong', apiHost: server.url, segmentsToCheck: ['has_purchased'] },
      logLevel: 'silent',
    });
    expect(await fetchQualifiedSegments(wrongKey, 'user123')).toMatchObject({
      ok: false,
      reason: 'http_status',
      status: 401,
    });
    await wrongKey.close();
  });
});
