import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { integrityCheck } from '../../server/src/lifecycle/backup.js';
import {
  adminGet,
  describeStores,
  event,
  postEvents,
  startTestServer,
  type TestServer,
} from '../../server/test/helpers.js';
import { BIN, baseEnv, run } from './helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1);

let dir: string;
const servers: TestServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'odpkit-lifecycle-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const SEGMENTS = [
  { name: 'has_email', condition: { identifier: 'email' } },
  { name: 'frequent', condition: { event: { action: 'purchased' }, count: { gte: 2 }, within: '30d' } },
  { name: 'ever_bought', condition: { event: { action: 'purchased' } } },
];

async function server(store: 'sqlite' | 'postgres', now: () => number): Promise<TestServer> {
  const segmentsFile = path.join(dir, 'segments.json');
  writeFileSync(segmentsFile, JSON.stringify(SEGMENTS));
  const s = await startTestServer({ store, now, segmentsFile });
  servers.push(s);
  return s;
}

const IDS: [string, string][] = [
  ['fs_user_id', 'a1'],
  ['email', 'a@example.com'],
  ['fs_user_id', 'b1'],
  ['fs_user_id', 'c1'],
  ['email', 'd@example.com'],
];

async function profile(s: TestServer, key: string, value: string) {
  const res = await adminGet(s, s.account.privateKey, `/admin/v1/customers?${new URLSearchParams({ key, value })}`);
  expect(res.status).toBe(200);
  const { customer_id: _, ...rest } = res.json;
  return rest;
}

const stats = async (s: TestServer) => (await adminGet(s, s.account.privateKey, '/admin/v1/stats')).json;

describeStores('export → import round trip', (store) => {
  it('gives a fresh database the same customers, identifiers, histories and segment answers', async () => {
    let t = T0;
    const a = await server(store, () => t);
    const at = async (ms: number, events: object[]) => {
      t = ms;
      expect((await postEvents(a, a.account.publicKey, events)).status).toBe(202);
    };
    await at(T0 - 60 * DAY, [event({ fs_user_id: 'a1' })]);
    await at(T0 - 50 * DAY, [event({ email: 'a@example.com' })]);
    await at(T0 - 40 * DAY, [event({ fs_user_id: 'a1', email: 'a@example.com' }, {}, 'viewed')]); // a merge
    await at(T0 - 45 * DAY, [event({ fs_user_id: 'c1' }), event({ fs_user_id: 'c1' })]); // twice, but long ago
    await at(T0 - 5 * DAY, [event({ fs_user_id: 'b1' }, { price: 12.5 })]);
    await at(T0 - 4 * DAY, [event({ fs_user_id: 'b1' }, { note: 'ünïcødé "quoted"' })]);
    await at(T0, [event({ email: 'd@example.com' }, { flag: true, nothing: null }, 'viewed')]);

    const out = path.join(dir, 'events.ndjson.gz');
    const exported = await run(['export', '--out', out, '--host', a.url, '--private-key', a.account.privateKey]);
    expect(exported.stderr).toContain('exported 8 events');
    expect(exported.code).toBe(0);
    const lines = gunzipSync(readFileSync(out)).toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    expect(JSON.parse(lines[0] as string).received_at).toBe(new Date(T0 - 60 * DAY).toISOString());

    // The same export read straight from the database, without the server's help.
    const direct = path.join(dir, 'direct.ndjson');
    const fromDb = await run(['export', '--out', direct, '--db', a.db]);
    expect(fromDb.code).toBe(0);
    expect(readFileSync(direct, 'utf8')).toBe(`${lines.join('\n')}\n`);

    const b = await server(store, () => T0);
    const imported = await run(['import', out, '--host', b.url, '--private-key', b.account.privateKey]);
    expect(imported.stderr).toContain('8 stored, 0 already stored (duplicates), 0 rejected');
    expect(imported.code).toBe(0);

    for (const [key, value] of IDS) expect(await profile(b, key, value)).toEqual(await profile(a, key, value));
    expect(await stats(b)).toEqual(await stats(a));
    // The windows answer from the original receive times: c1 bought twice, 45 days ago, so it is not frequent.
    expect((await profile(b, 'fs_user_id', 'c1')).segments).toEqual(['ever_bought']);
    expect((await profile(b, 'fs_user_id', 'b1')).segments).toEqual(['ever_bought', 'frequent']);

    const again = await run(['import', out, '--host', b.url, '--private-key', b.account.privateKey]);
    expect(again.stderr).toContain('0 stored, 8 already stored (duplicates), 0 rejected');
    expect((await stats(b)).events).toBe(8);
  });
});

function spawnImport(file: string, s: TestServer, extra: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [BIN, 'import', file, '--host', s.url, '--private-key', s.account.privateKey, ...extra],
    { env: baseEnv(), stdio: 'ignore' },
  );
}

describeStores('odpkit import', (store) => {
  it('killed mid-way and run again, stores every event once (lines without ids included)', async () => {
    const s = await server(store, Date.now);
    const total = 2_000;
    const file = path.join(dir, 'many.ndjson');
    const lines: string[] = [];
    for (let i = 0; i < total; i++) {
      const e = { type: 'fullstack', action: 'viewed', identifiers: { fs_user_id: `u${i % 97}` }, data: { i } };
      // Every other line carries its own id; the others get one derived from their text.
      if (i % 2 === 0) Object.assign(e.data, { idempotence_id: randomUUID() });
      lines.push(JSON.stringify(e));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);

    const child = spawnImport(file, s, ['--batch', '10']);
    const exited = new Promise((r) => child.once('exit', r));
    let seen = 0;
    while (seen === 0) seen = (await stats(s)).events;
    child.kill('SIGKILL');
    await exited;
    const atKill = (await stats(s)).events;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total); // the run was really cut short

    const rerun = await run(['import', file, '--host', s.url, '--private-key', s.account.privateKey]);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain(`${total - atKill} stored, ${atKill} already stored (duplicates), 0 rejected`);
    expect(rerun.stderr).toContain('1000 lines had no data.idempotence_id');
    expect((await stats(s)).events).toBe(total);
  });

  it('exits 1 with a file of the rejected lines and reasons, storing the good ones', async () => {
    const s = await server(store, Date.now);
    const file = path.join(dir, 'mixed.ndjson');
    writeFileSync(
      file,
      [
        JSON.stringify(event({ fs_user_id: 'ok1' })),
        'this is not json',
        JSON.stringify({ type: 'fullstack', identifiers: { fs_user_id: 'x' } }),
        '',
        JSON.stringify({ ...event({ fs_user_id: 'late' }), received_at: '2999-01-01T00:00:00Z' }),
        JSON.stringify(event({ fs_user_id: 'ok2' })),
      ].join('\n'),
    );
    const rejects = path.join(dir, 'bad.ndjson');
    const res = await run([
      'import',
      file,
      '--host',
      s.url,
      '--private-key',
      s.account.privateKey,
      '--rejects',
      rejects,
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('2 stored, 0 already stored (duplicates), 3 rejected');
    const rows = readFileSync(rejects, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.line)).toEqual([2, 3, 5]);
    expect(rows[0].reason).toMatch(/not JSON/);
    expect(rows[1].reason).toMatch(/'action'/);
    expect(rows[2].reason).toMatch(/future/);
    expect(rows[0].text).toBe('this is not json');
    expect((await stats(s)).events).toBe(2);
  });
});

describeStores('odpkit customers delete', (store) => {
  it('deletes by any identifier and prints the counts', async () => {
    const s = await server(store, Date.now);
    await postEvents(s, s.account.publicKey, [
      event({ fs_user_id: 'z1', email: 'z@example.com' }),
      event({ fs_user_id: 'z1' }),
    ]);
    const args = ['--host', s.url, '--private-key', s.account.privateKey];
    const res = await run(['customers', 'delete', 'email=z@example.com', ...args]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^deleted customer \d+: 2 events, 2 identifiers, 0 merged customers\n$/);
    const missing = await run(['customers', 'delete', 'fs_user_id=z1', ...args]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
  });
});

it('odpkit backup takes a consistent copy while events are being ingested', async () => {
  const s = await server('sqlite', Date.now);
  let sending = true;
  let sent = 0;
  const load = (async () => {
    while (sending) {
      const batch = Array.from({ length: 20 }, (_, i) => event({ fs_user_id: `b${(sent + i) % 50}` }));
      expect((await postEvents(s, s.account.publicKey, batch)).status).toBe(202);
      sent += batch.length;
    }
  })();
  while (sent < 200) await new Promise((r) => setTimeout(r, 5));
  const out = path.join(dir, 'copy.db');
  const res = await run(['backup', '--db', s.db, '--out', out]);
  const sentAtEnd = sent;
  sending = false;
  await load;
  expect(res.code).toBe(0);
  expect(integrityCheck(out)).toBe('ok');
  const copy = new Database(out, { readonly: true });
  const events = copy.prepare('SELECT count(*) FROM events').pluck().get() as number;
  const counted = copy.prepare('SELECT events FROM account_counters').pluck().get() as number;
  copy.close();
  // One committed state: the counters agree with the rows, and it holds what was acknowledged before it started.
  expect(events).toBe(counted);
  expect(events).toBeGreaterThanOrEqual(200);
  expect(events).toBeLessThanOrEqual(sentAtEnd + 20);
  // A second backup never overwrites a file.
  const twice = await run(['backup', '--db', s.db, '--out', out]);
  expect(twice.code).toBe(1);
  expect(twice.stderr).toContain('exists already');
});

it('refuses bad lifecycle flags with exit 2, naming the flag', async () => {
  const retention = await run(['serve', '--retention', '10 days', '--port', '0', '--db', ':memory:']);
  expect(retention.code).toBe(2);
  expect(retention.stderr).toContain('--retention');
  const batch = await run(['import', 'x.ndjson', '--batch', '5000', '--private-key', 'k']);
  expect(batch.code).toBe(2);
  expect(batch.stderr).toContain('--batch');
  const since = await run(['export', '--out', path.join(dir, 'x.ndjson'), '--since', 'yesterday', '--db', 'x.db']);
  expect(since.code).toBe(2);
  expect(since.stderr).toContain('--since');
  const pgBackup = await run(['backup', '--db', 'postgres://u@127.0.0.1/db', '--out', path.join(dir, 'b.db')]);
  expect(pgBackup.code).toBe(2);
  expect(pgBackup.stderr).toContain('pg_dump');
});
