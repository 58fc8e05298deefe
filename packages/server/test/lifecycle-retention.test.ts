import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';
import { parseDuration } from '../src/lifecycle/duration.js';
import { EXPORT_SCAN_WINDOW } from '../src/lifecycle/export.js';
import { adminGet, describeStores, event, postEvents, request, startTestServer, type TestServer } from './helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function importEvents(s: TestServer, events: object[]) {
  return request(s.url, {
    method: 'POST',
    path: '/admin/v1/events/import',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.account.privateKey}` },
    body: JSON.stringify(events),
  });
}

/** `count` events of customer `who`, received `daysAgo` days before T0. */
const aged = (who: string, daysAgo: number, count: number) =>
  Array.from({ length: count }, () => ({
    ...event({ fs_user_id: who }, { days_ago: daysAgo }),
    received_at: T0 - daysAgo * DAY,
  }));

async function exportAll(s: TestServer) {
  const res = await adminGet(s, s.account.privateKey, '/admin/v1/events/export');
  expect(res.status).toBe(200);
  return res.text === ''
    ? []
    : res.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
}

const stats = async (s: TestServer) => (await adminGet(s, s.account.privateKey, '/admin/v1/stats')).json;

describeStores('retention', (store) => {
  it('deletes at most the batch size per transaction, oldest first, with the counters', async () => {
    server = await startTestServer({ store, now: () => T0 });
    const imported = await importEvents(server, [
      ...aged('old', 30, 20),
      ...aged('young', 1, 5),
      ...aged('old', 31, 0),
    ]);
    expect(imported.json).toMatchObject({ stored: 25, rejected: [] });
    expect((await stats(server)).oldest_event_at).toBe(new Date(T0 - 30 * DAY).toISOString());
    const cutoff = T0 - 10 * DAY;
    expect(await server.store.deleteEventsBefore(cutoff, 7)).toBe(7);
    expect((await stats(server)).events).toBe(18);
    expect(await server.store.deleteEventsBefore(cutoff, 7)).toBe(7);
    expect(await server.store.deleteEventsBefore(cutoff, 7)).toBe(6);
    expect(await server.store.deleteEventsBefore(cutoff, 7)).toBe(0);
    const st = await stats(server);
    expect(st).toMatchObject({ events: 5, customers: 2 }); // customers and their identifiers are state: they stay
    expect(st.oldest_event_at).toBe(new Date(T0 - DAY).toISOString());
  });

  it('leaves segment state as it is: what a segment counted stays counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odpkit-segments-'));
    const segmentsFile = join(dir, 'segments.json');
    writeFileSync(
      segmentsFile,
      JSON.stringify([{ name: 'buyer', condition: { event: { action: 'purchased' }, count: { gte: 2 } } }]),
    );
    server = await startTestServer({ store, now: () => T0, segmentsFile });
    rmSync(dir, { recursive: true, force: true });
    expect((await importEvents(server, aged('kept', 30, 2))).json.stored).toBe(2);
    const q = '/admin/v1/customers?key=fs_user_id&value=kept';
    expect((await adminGet(server, server.account.privateKey, q)).json.segments).toEqual(['buyer']);
    expect(await server.store.deleteEventsBefore(T0 - 10 * DAY, 1000)).toBe(2);
    const after = await adminGet(server, server.account.privateKey, q);
    expect(after.json.event_count).toBe(0);
    expect(after.json.segments).toEqual(['buyer']);
  });

  it('running in the background under ingestion, loses nothing younger than the limit', async () => {
    server = await startTestServer({
      store,
      now: () => T0,
      retention: { maxAgeMs: 10 * DAY, intervalMs: 10, batchSize: 50 },
    });
    const s = server;
    let sending = true;
    let live = 0;
    const load = (async () => {
      while (sending) {
        const batch = Array.from({ length: 10 }, (_, i) => event({ fs_user_id: `live${(live + i) % 7}` }));
        expect((await postEvents(s, s.account.publicKey, batch)).status).toBe(202);
        live += batch.length;
      }
    })();
    let young = 0;
    for (let daysAgo = 0; daysAgo < 20; daysAgo++) {
      const events = aged(`c${daysAgo % 3}`, daysAgo, 30);
      expect((await importEvents(s, events)).json.stored).toBe(30);
      if (daysAgo <= 10) young += 30; // received exactly at the limit is kept
    }
    const cutoff = new Date(T0 - 10 * DAY).toISOString();
    let oldest = (await stats(s)).oldest_event_at;
    while (oldest < cutoff) oldest = (await stats(s)).oldest_event_at;
    sending = false;
    await load;

    const kept = await exportAll(s);
    expect(kept.filter((e) => e.received_at < cutoff)).toEqual([]);
    const keptOld = kept.filter((e) => e.data.days_ago !== undefined);
    expect(keptOld).toHaveLength(young);
    expect(kept.length - keptOld.length).toBe(live);
    expect((await stats(s)).events).toBe(kept.length);
  });
});

describeStores('admin import and export', (store) => {
  it('the public endpoint never takes received_at; the import endpoint does, and refuses it in the future', async () => {
    server = await startTestServer({ store, now: () => T0 });
    const past = { ...event({ fs_user_id: 'p' }), received_at: T0 - 5 * DAY };
    expect((await postEvents(server, server.account.publicKey, [past])).status).toBe(202);
    expect((await exportAll(server))[0].received_at).toBe(new Date(T0).toISOString());

    const res = await importEvents(server, [
      { ...event({ fs_user_id: 'p' }), received_at: new Date(T0 - 5 * DAY).toISOString() },
      { ...event({ fs_user_id: 'p' }), received_at: T0 + 1 },
      { ...event({ fs_user_id: 'p' }), received_at: 'yesterday' },
      { type: 'fullstack', action: '', identifiers: { fs_user_id: 'p' } },
    ]);
    expect(res.status).toBe(200);
    expect(res.json.stored).toBe(1);
    expect(res.json.rejected.map((r: { event: number }) => r.event)).toEqual([1, 2, 3]);
    expect(res.json.rejected[0].message).toMatch(/future/);
    const all = await exportAll(server);
    expect(all.map((e) => e.received_at)).toEqual([new Date(T0).toISOString(), new Date(T0 - 5 * DAY).toISOString()]);
  });

  it('import and export need the private key, and see only their own account', async () => {
    server = await startTestServer({ store, now: () => T0 });
    await postEvents(server, server.account.publicKey, [event({ fs_user_id: 'mine' })]);
    const other = await server.store.createAccount({ publicKey: `p-${randomUUID()}`, privateKey: `k-${randomUUID()}` });
    const asOther = await adminGet(server, other.privateKey, '/admin/v1/events/export');
    expect(asOther.status).toBe(200);
    expect(asOther.text).toBe('');
    expect((await adminGet(server, server.account.publicKey, '/admin/v1/events/export')).status).toBe(401);
    const noKey = await request(server.url, {
      method: 'POST',
      path: '/admin/v1/events/import',
      headers: { 'content-type': 'application/json' },
      body: '[]',
    });
    expect(noKey.status).toBe(401);
    const tooMany = await importEvents(
      server,
      Array.from({ length: 1001 }, () => event({ fs_user_id: 'x' })),
    );
    expect(tooMany.status).toBe(413);
  });

  it("finds an account's few events among many more of another account's, across id windows", async () => {
    server = await startTestServer({ store, now: () => T0 });
    const other = await server.store.createAccount({ publicKey: `p-${randomUUID()}`, privateKey: `k-${randomUUID()}` });
    const prepared = (n: number, tag: string) => {
      const checked = validateBatch(
        Array.from({ length: n }, (_, i) => event({ fs_user_id: `${tag}${i % 5}` }, { tag })),
      );
      if (!checked.ok) throw new Error('invalid test events');
      return checked.events;
    };
    const mine = server.account.id;
    await server.store.ingest([{ accountId: mine, receivedAt: T0, events: prepared(3, 'first') }]);
    await server.store.ingest([
      { accountId: other.id, receivedAt: T0, events: prepared(2 * EXPORT_SCAN_WINDOW + 500, 'other') },
    ]);
    await server.store.ingest([{ accountId: mine, receivedAt: T0, events: prepared(4, 'last') }]);
    const all = await exportAll(server);
    expect(all.map((e) => e.data.tag)).toEqual(['first', 'first', 'first', 'last', 'last', 'last', 'last']);
  });

  it('streams more than one page in id order, and filters by since/until', async () => {
    server = await startTestServer({ store, now: () => T0 });
    const total = 2_300;
    for (let i = 0; i < total; i += 1000) {
      const events = Array.from({ length: Math.min(1000, total - i) }, (_, j) => ({
        ...event({ fs_user_id: `e${(i + j) % 11}` }, { n: i + j }),
        received_at: T0 - (total - (i + j)) * 1000,
      }));
      expect((await importEvents(server, events)).json.stored).toBe(events.length);
    }
    const all = await exportAll(server);
    expect(all.map((e) => e.data.n)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(Object.keys(all[0])).toEqual(['type', 'action', 'identifiers', 'data', 'received_at']);
    const since = new Date(T0 - 1_000 * 1000).toISOString();
    const until = new Date(T0 - 500 * 1000).toISOString();
    const q = new URLSearchParams({ since, until });
    const res = await adminGet(server, server.account.privateKey, `/admin/v1/events/export?${q}`);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const some = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(some.map((e) => e.data.n)).toEqual(Array.from({ length: 500 }, (_, i) => total - 1000 + i));
    expect((await adminGet(server, server.account.privateKey, '/admin/v1/events/export?since=soon')).status).toBe(400);
  });
});

describe('parseDuration', () => {
  it('reads days, hours, minutes and seconds, and nothing else', () => {
    expect(parseDuration('400d')).toBe(400 * DAY);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('90s')).toBe(90_000);
    for (const bad of ['0d', '400', 'd', '1.5d', '-1d', '400 days', '']) expect(parseDuration(bad)).toBeNull();
  });
});
