// Segment-state benchmark of @odpkit/server: segment answers read state kept at ingestion, so their cost must not
// grow with a customer's history, one customer's queries must not stall another account's ingestion, and keeping
// the state must not slow ingestion much.
//
//   npm run build -w @odpkit/server
//   flock /tmp/odpkit-bench.lock node bench/segment-state/run.mjs              full run (the 1.1M-event prefill is cached)
//   node bench/segment-state/run.mjs --quick                                   smoke run with tiny sizes
//
// Options: --small N (10) --big N (100,000) --huge N (1,000,000) --queries N (2,000) --posts N (1,000)
//          --ingest N (50,000) --conns N (8) --out FILE (JSON results; default .bench-tmp/segment-state-<pid>.json)
//
// Measures, each server in its own process (server-child.mjs), requests from this one:
//   A. GraphQL answer time, customer with --big events vs one with --small (3 segments, one an unwindowed count).
//      Goal: big within 2× small.
//   B. Another account's POST /v3/events latency (batches of 10, one at a time) while the --huge customer is queried
//      in a loop over --conns connections, vs with no queries. Goal: p99 < 50 ms.
//   C. Ingestion rate (events/s over --conns concurrent posters, 5,000 customers) with 20 segments defined vs none,
//      batches of 10 and of 500. Goal: ≥ 0.8× with segments. Also the state's bytes per customer.
//   D. Rebuild: a segment defined over the prefilled history becomes ready; how long, and POST latency meanwhile.

import { fork } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAY, rng, THREE_SEGMENTS, TWENTY_SEGMENTS, wireEvent } from './data.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const serverModule = process.env.ODPKIT_SERVER_MODULE || join(root, 'packages/server/dist/index.js');
if (!existsSync(serverModule))
  throw new Error(`build the server first: npm run build -w @odpkit/server (${serverModule})`);
const server = await import(serverModule);
const Database = createRequire(join(root, 'packages/server/package.json'))('better-sqlite3');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const option = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const opts = {
  small: Number(option('--small', 10)),
  big: Number(option('--big', quick ? 2_000 : 100_000)),
  huge: Number(option('--huge', quick ? 10_000 : 1_000_000)),
  queries: Number(option('--queries', quick ? 200 : 2_000)),
  posts: Number(option('--posts', quick ? 100 : 1_000)),
  ingest: Number(option('--ingest', quick ? 2_000 : 50_000)),
  conns: Number(option('--conns', 8)),
};
const tmp = join(root, '.bench-tmp', 'segment-state');
mkdirSync(tmp, { recursive: true });
const out = option('--out', join(root, '.bench-tmp', `segment-state-${process.pid}.json`));
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);
const NOW = Date.now();

// ---------- statistics ----------

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1] };
}
const r2 = (x) => Math.round(x * 100) / 100;

// ---------- the server child ----------

async function startChild(db) {
  const child = fork(join(here, 'server-child.mjs'), [JSON.stringify({ db })], {
    env: { ...process.env, ODPKIT_SERVER_MODULE: serverModule },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`server child exited (${code})`)));
  });
  return { child, url: ready.url };
}

async function stopChild({ child }) {
  const closed = new Promise((r) => child.once('exit', r));
  child.send('close');
  await closed;
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const QUERY =
  'query($id: String, $s: [String]) {customer(fs_user_id: $id) {audiences(subset: $s) {edges {node {name state}}}}}';

async function ask(url, fsUserId, subset) {
  const res = await fetch(`${url}/v3/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
    body: JSON.stringify({ query: QUERY, variables: { id: fsUserId, s: subset } }),
  });
  const body = await res.json();
  if (res.status !== 200 || !body.data?.customer)
    throw new Error(`query failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Defines segments through the admin API, as an operator would. */
async function applySegments(url, segments) {
  const res = await fetch(`${url}/admin/v1/segments:apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk' },
    body: JSON.stringify(segments),
  });
  if (res.status !== 200) throw new Error(`segments:apply answered ${res.status}: ${await res.text()}`);
}

async function post(url, key, events) {
  const res = await fetch(`${url}/v3/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(events),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`POST /v3/events answered ${res.status}`);
}

// ---------- prefill (in process, through the store's own ingest, not HTTP) ----------

/**
 * A wire event as the store's ingest takes it (what the HTTP route's validation produces). The prefill's events are
 * valid by construction and their identifiers already normalised (lower-case keys and values).
 */
function prepared(event) {
  const identities = Object.entries(event.identifiers).map(([type, value]) => ({ type, value }));
  return {
    type: event.type,
    action: event.action,
    identifiersJson: JSON.stringify(event.identifiers),
    dataJson: JSON.stringify(event.data),
    identities,
    ignoredIdentifiers: 0,
    idempotenceId: event.data.idempotence_id,
  };
}

async function ingestDirect(store, accountId, count, identifiers, r, batchSize = 500) {
  for (let done = 0; done < count; done += batchSize) {
    const n = Math.min(batchSize, count - done);
    const v = { events: Array.from({ length: n }, () => prepared(wireEvent(r, identifiers))) };
    // Spread over the last 60 days, in time order.
    await store.ingest([
      { accountId, receivedAt: NOW - 60 * DAY + Math.floor(((done + n) / count) * 60 * DAY), events: v.events },
    ]);
  }
}

/** One DB with the default account's 3 segments and customers of --small, --big and --huge events; cached. */
async function prefilled() {
  const file = join(tmp, `prefill-${opts.small}-${opts.big}-${opts.huge}-v1.db`);
  if (existsSync(file)) return file;
  const building = `${file}.building`;
  rmSync(building, { force: true });
  // The segments first, through a server: with no events yet their state is ready at once and kept by ingestion.
  const srv = await startChild(building);
  await applySegments(srv.url, THREE_SEGMENTS);
  await stopChild(srv);
  const store = server.openSqliteStore(building);
  const account = await store.ensureDefaultAccount({}, { publicKey: 'pk', privateKey: 'sk' });
  await store.createAccount({ publicKey: 'pk2', privateKey: 'sk2' });
  const r = rng(1);
  const t = performance.now();
  for (const [name, n] of [
    ['small', opts.small],
    ['big', opts.big],
    ['huge', opts.huge],
  ]) {
    log(`prefill: ${name} customer, ${n} events`);
    await ingestDirect(store, account.id, n, { fs_user_id: name, email: `${name}@example.com` }, r);
  }
  log(`prefill: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await store.close();
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(building + suffix)) copyFileSync(building + suffix, file + suffix);
  rmSync(building, { force: true });
  return file;
}

function copyDb(from, name) {
  const to = join(tmp, name);
  for (const suffix of ['', '-wal', '-shm']) {
    rmSync(to + suffix, { force: true });
    if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix);
  }
  return to;
}

// ---------- A: answer time vs history ----------

async function answerTime(url) {
  const subset = THREE_SEGMENTS.map((s) => s.name);
  const result = {};
  for (const who of ['small', 'big']) {
    for (let i = 0; i < Math.min(50, opts.queries); i++) await ask(url, who, subset); // warm-up
    const ms = [];
    for (let i = 0; i < opts.queries; i++) ms.push(await timed(() => ask(url, who, subset)));
    result[who] = stats(ms);
  }
  result.ratioP50 = r2(result.big.p50 / result.small.p50);
  return result;
}

// ---------- B: another account's ingestion while the huge customer is queried ----------

/** Latencies of `count` POSTs of 10 events of the second account, one at a time. */
async function postTimes(url, r, count) {
  const ms = [];
  for (let i = 0; i < count; i++) {
    const events = Array.from({ length: 10 }, () => wireEvent(r, { fs_user_id: `other-${Math.floor(r() * 1000)}` }));
    ms.push(await timed(() => post(url, 'pk2', events)));
  }
  return ms;
}

const postLatency = async (url, r, count) => stats(await postTimes(url, r, count));

async function isolation(url) {
  const r = rng(2);
  const quiet = await postLatency(url, r, opts.posts);
  let querying = true;
  let answered = 0;
  const loops = Array.from({ length: opts.conns }, async () => {
    while (querying) {
      await ask(
        url,
        'huge',
        THREE_SEGMENTS.map((s) => s.name),
      );
      answered++;
    }
  });
  const t = performance.now();
  const loaded = await postLatency(url, r, opts.posts);
  const seconds = (performance.now() - t) / 1000;
  querying = false;
  await Promise.all(loops);
  return { quiet, whileQuerying: loaded, hugeQueriesPerSecond: Math.round(answered / seconds) };
}

// ---------- C: ingestion rate with 20 segments vs none ----------

async function ingestRate(withSegments, batch) {
  const db = join(tmp, `ingest-${withSegments ? 20 : 0}-${batch}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  const srv = await startChild(db);
  if (withSegments) await applySegments(srv.url, TWENTY_SEGMENTS);
  const r = rng(3);
  const total = opts.ingest;
  let sent = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: opts.conns }, async () => {
      while (sent < total) {
        const n = Math.min(batch, total - sent);
        sent += n;
        const events = Array.from({ length: n }, () => {
          const c = Math.floor(r() * 5000);
          return wireEvent(r, c % 2 ? { fs_user_id: `c${c}` } : { fs_user_id: `c${c}`, email: `c${c}@example.com` });
        });
        await post(srv.url, 'pk', events);
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  await stopChild(srv);
  const result = { eventsPerSecond: Math.round(total / seconds) };
  if (withSegments) {
    const d = new Database(db, { readonly: true });
    const customers = d.prepare('SELECT COUNT(*) FROM customers WHERE merged_into IS NULL').pluck().get();
    const rows = d.prepare('SELECT COUNT(*) FROM segment_state').pluck().get();
    const payload = d.prepare('SELECT SUM(LENGTH(state)) FROM segment_state').pluck().get();
    const pages = d.prepare("SELECT SUM(pgsize) FROM dbstat WHERE name = 'segment_state'").pluck().get();
    const leaves = d.prepare('SELECT COUNT(*) FROM segment_leaves').pluck().get();
    d.close();
    // One state row per customer with at least one matching event.
    result.state = {
      customers,
      leaves,
      customersWithState: rows,
      valueBytesPerCustomer: Math.round(payload / rows),
      diskBytesPerCustomer: Math.round(pages / rows),
    };
  }
  return result;
}

// ---------- D: rebuild over the prefilled history ----------

async function rebuild(url) {
  const r = rng(4);
  const t = performance.now();
  const res = await fetch(`${url}/admin/v1/segments/rebuilt`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk' },
    body: JSON.stringify({ condition: { event: { action: 'search' }, count: { gte: 2 }, within: '30d' } }),
  });
  if (res.status !== 201) throw new Error(`PUT answered ${res.status}`);
  // The other account keeps posting while the rebuild runs; the list is polled between its posts.
  const ms = [];
  let listed;
  for (;;) {
    const list = await (await fetch(`${url}/admin/v1/segments`, { headers: { 'x-api-key': 'sk' } })).json();
    listed = list.segments.find((s) => s.name === 'rebuilt');
    if (listed.state === 'ready') break;
    ms.push(...(await postTimes(url, r, 10)));
  }
  return {
    seconds: r2((performance.now() - t) / 1000),
    scannedEventIds: listed.progress.scanned,
    postsDuringRebuild: ms.length > 0 ? stats(ms) : null,
  };
}

// ---------- main ----------

const results = { when: new Date().toISOString(), opts, loadavg: (await import('node:os')).loadavg().map(r2) };
log('options', JSON.stringify(opts));
const template = await prefilled();

{
  const srv = await startChild(copyDb(template, 'a.db'));
  try {
    results.A = await answerTime(srv.url);
    log('A answer time (ms)', JSON.stringify(results.A));
    results.B = await isolation(srv.url);
    log('B other account POST latency (ms)', JSON.stringify(results.B));
    results.D = await rebuild(srv.url);
    log('D rebuild', JSON.stringify(results.D));
  } finally {
    await stopChild(srv);
  }
}

results.C = {};
for (const batch of [10, 500]) {
  const none = await ingestRate(false, batch);
  const twenty = await ingestRate(true, batch);
  results.C[`batch${batch}`] = { none, twenty, ratio: r2(twenty.eventsPerSecond / none.eventsPerSecond) };
  log(`C ingestion, batch ${batch}`, JSON.stringify(results.C[`batch${batch}`]));
}

const goals = {
  'A: big customer answers within 2× the small one (p50)': results.A.ratioP50 <= 2,
  'B: other account p99 < 50 ms while the huge customer is queried': results.B.whileQuerying.p99 < 50,
  'C: ingestion with 20 segments ≥ 0.8× none, batch 10': results.C.batch10.ratio >= 0.8,
  'C: ingestion with 20 segments ≥ 0.8× none, batch 500': results.C.batch500.ratio >= 0.8,
};
results.goals = goals;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(results, null, 2));
for (const [goal, met] of Object.entries(goals)) log(met ? 'MET   ' : 'MISSED', goal);
log(`results: ${out}`);
