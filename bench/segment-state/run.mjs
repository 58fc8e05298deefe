// Segment-state benchmark of @odpkit/server: segment answers read state kept at ingestion, so their cost must not
// grow with a customer's history, one customer's queries must not stall another account's ingestion, and keeping
// the state must not slow ingestion much.
//
//   npm run build -w @odpkit/server && node bench/segment-state/run.mjs     full run, writes its BENCHMARKS.md section
//   node bench/segment-state/run.mjs --quick                                 smoke run with tiny sizes, prints only
//
// Options: --small N (10) --big N (100,000) --huge N (1,000,000) --queries N (2,000) --posts N (1,000)
//          --conns N (8) and the shared --quick --reps N (3) --warmup S (3) --duration S (10) --write/--no-write.
//
// Measures, each server in its own process (bench/lib/server-child.mjs, a snapshot of the built server):
//   A. GraphQL answer time, customer with --big events vs one with --small (3 segments, one an unwindowed count),
//      one query at a time. Goal: big p50 within 2× small.
//   B. Another account's POST /v3/events latency (batches of 10, one at a time) while the --huge customer is queried
//      in a loop over --conns connections, vs with no queries. Goal: p99 < 50 ms.
//   C. Ingestion (autocannon, bench/lib/load-generator.mjs, events of bench/lib/events.mjs) with 20 segments defined
//      vs none, batches of 10 and 500, on an empty store and on the pre-filled store; reps interleaved. Goal: ≥ 0.8×.
//      Also the state's bytes per customer after the empty-store run with segments.
//   D. Rebuild: a segment defined over the pre-filled history becomes ready; how long, and POST latency meanwhile.

import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { makeRng } from '../lib/events.mjs';
import { describeLoad, runLoad } from '../lib/load.mjs';
import { loadReport, runMeta } from '../lib/machine.mjs';
import { lines, publish, table } from '../lib/markdown.mjs';
import { benchTmp, libDir, log, repoRoot } from '../lib/paths.mjs';
import { benchOptions } from '../lib/run-options.mjs';
import { snapshotServer, startServerChild, stopServerChild, waitForSegmentsReady } from '../lib/server.mjs';
import { copyDb, dbBytes, rmDir } from '../lib/sqlite-files.mjs';
import { fmt, fmtRatio, median, pooledPercentiles, ratio, stat } from '../lib/stats.mjs';
import { DAY, THREE_SEGMENTS, TWENTY_SEGMENTS, wireEvent } from './data.mjs';

const { argv, option, common } = benchOptions();
const quick = common.quick;
const opts = {
  ...common,
  small: Number(option('--small', 10)),
  big: Number(option('--big', quick ? 2_000 : 100_000)),
  huge: Number(option('--huge', quick ? 10_000 : 1_000_000)),
  queries: Number(option('--queries', quick ? 200 : 2_000)),
  posts: Number(option('--posts', quick ? 100 : 1_000)),
  conns: Number(option('--conns', 8)),
};
const BATCHES = [10, 500];
const tmp = join(benchTmp, 'segment-state');
const runDir = join(tmp, `run-${process.pid}`);
const NOW = Date.now();

// ---------- requests through the public HTTP API ----------

const QUERY =
  'query($id: String, $s: [String]) {customer(fs_user_id: $id) {audiences(subset: $s) {edges {node {name state}}}}}';
const SUBSET = THREE_SEGMENTS.map((s) => s.name);

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function ask(url, fsUserId) {
  const res = await fetch(`${url}/v3/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
    body: JSON.stringify({ query: QUERY, variables: { id: fsUserId, s: SUBSET } }),
  });
  const body = await res.json();
  if (res.status !== 200 || !body.data?.customer)
    throw new Error(`query failed: ${res.status} ${JSON.stringify(body)}`);
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

/** Defines segments through the admin API, as an operator would, and waits until every one is ready. */
async function applySegments(url, segments) {
  const t = performance.now();
  const res = await fetch(`${url}/admin/v1/segments:apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk' },
    body: JSON.stringify(segments),
  });
  if (res.status !== 200) throw new Error(`segments:apply answered ${res.status}: ${await res.text()}`);
  await waitForSegmentsReady(url);
  return (performance.now() - t) / 1000;
}

async function listSegments(url) {
  const res = await fetch(`${url}/admin/v1/segments`, { headers: { 'x-api-key': 'sk' } });
  if (res.status !== 200) throw new Error(`GET /admin/v1/segments answered ${res.status}`);
  return (await res.json()).segments;
}

// ---------- the pre-filled store (no segments), cached ----------

/**
 * A wire event as the store's ingest takes it (what the HTTP route's validation produces). The prefill's events are
 * valid by construction and their identifiers already normalised (lower-case keys and values).
 */
function prepared(event) {
  return {
    type: event.type,
    action: event.action,
    identifiersJson: JSON.stringify(event.identifiers),
    dataJson: JSON.stringify(event.data),
    identities: Object.entries(event.identifiers).map(([type, value]) => ({ type, value })),
    ignoredIdentifiers: 0,
    idempotenceId: event.data.idempotence_id,
  };
}

/**
 * One DB with customers of --small, --big and --huge events of the default account ('pk'/'sk') spread over the last
 * 60 days, and a second account ('pk2'/'sk2'); no segments. Filled through the server's exported store
 * (openSqliteStore, its ingest), not HTTP: 1.1M events over HTTP one customer at a time would take far longer.
 */
async function prefilled() {
  const file = join(tmp, `prefill-${opts.small}-${opts.big}-${opts.huge}-v2.db`);
  if (existsSync(file)) return { db: file, cached: true, seconds: Number.NaN };
  const building = join(tmp, 'building', 'odpkit.db');
  rmDir(join(tmp, 'building'));
  mkdirSync(join(tmp, 'building'), { recursive: true });
  const { openSqliteStore } = await import(process.env.ODPKIT_SERVER_MODULE);
  const store = openSqliteStore(building);
  const account = await store.ensureDefaultAccount({}, { publicKey: 'pk', privateKey: 'sk' });
  await store.createAccount({ publicKey: 'pk2', privateKey: 'sk2' });
  const r = makeRng(1);
  const t = performance.now();
  for (const [name, count] of Object.entries({ small: opts.small, big: opts.big, huge: opts.huge })) {
    log(`prefill: ${name} customer, ${count} events`);
    const identifiers = { fs_user_id: name, email: `${name}@example.com` };
    for (let done = 0; done < count; done += 500) {
      const n = Math.min(500, count - done);
      const events = Array.from({ length: n }, () => prepared(wireEvent(r, identifiers)));
      const receivedAt = NOW - 60 * DAY + Math.floor(((done + n) / count) * 60 * DAY); // in time order
      await store.ingest([{ accountId: account.id, receivedAt, events }]);
    }
  }
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  copyDb(building, file);
  rmDir(join(tmp, 'building'));
  log(`prefill: ${seconds.toFixed(1)} s`);
  return { db: file, cached: false, seconds };
}

// ---------- A: answer time vs history ----------

async function answerTime(url) {
  const result = {};
  for (const who of ['small', 'big']) {
    for (let i = 0; i < Math.min(50, opts.queries); i++) await ask(url, who); // warm-up
    const ms = [];
    for (let i = 0; i < opts.queries; i++) ms.push(await timed(() => ask(url, who)));
    result[who] = pooledPercentiles([ms]);
  }
  result.ratioP50 = ratio(result.big.p50, result.small.p50);
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

async function isolation(url) {
  const r = makeRng(2);
  const quiet = pooledPercentiles([await postTimes(url, r, opts.posts)]);
  let querying = true;
  let answered = 0;
  const loops = Array.from({ length: opts.conns }, async () => {
    for (; querying; answered++) await ask(url, 'huge');
  });
  const t = performance.now();
  const loaded = pooledPercentiles([await postTimes(url, r, opts.posts)]);
  const seconds = (performance.now() - t) / 1000;
  querying = false;
  await Promise.all(loops);
  return { quiet, whileQuerying: loaded, hugeQueriesPerSecond: answered / seconds };
}

// ---------- D: rebuild over the pre-filled history ----------

async function rebuild(url) {
  const r = makeRng(4);
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
    listed = (await listSegments(url)).find((s) => s.name === 'rebuilt');
    if (listed.state === 'ready') break;
    ms.push(...(await postTimes(url, r, 10)));
  }
  return {
    seconds: (performance.now() - t) / 1000,
    scannedEventIds: listed.progress?.scanned,
    postsDuringRebuild: ms.length > 0 ? pooledPercentiles([ms]) : null,
  };
}

// ---------- C: ingestion with 20 segments vs none ----------

/** Bytes of segment state per customer in a closed DB file (SQLite's dbstat for the pages). */
function stateBytes(db) {
  const Database = createRequire(join(repoRoot, 'packages/server/package.json'))('better-sqlite3');
  const d = new Database(db, { readonly: true });
  try {
    const one = (sql) => d.prepare(sql).pluck().get();
    const rows = one('SELECT COUNT(*) FROM segment_state');
    return {
      customers: one('SELECT COUNT(*) FROM customers WHERE merged_into IS NULL'),
      customersWithState: rows, // one state row per customer with at least one matching event
      valueBytesPerCustomer: one('SELECT SUM(LENGTH(state)) FROM segment_state') / rows,
      diskBytesPerCustomer: one("SELECT SUM(pgsize) FROM dbstat WHERE name = 'segment_state'") / rows,
    };
  } finally {
    d.close();
  }
}

/** One ingestion rep on a fresh store (empty, or a copy of `template`), with the 20 segments or none. */
async function ingestRep({ template, withSegments, batch, seed, keepState }) {
  const db = join(runDir, `ingest-${withSegments ? 20 : 0}-${batch}-${template ? 'prefilled' : 'empty'}.db`);
  rmDir(runDir);
  mkdirSync(runDir, { recursive: true });
  if (template) copyDb(template, db);
  const { child, url } = await startServerChild({ db });
  let result;
  try {
    const rebuildSeconds = withSegments ? await applySegments(url, TWENTY_SEGMENTS) : 0;
    result = await runLoad(
      {
        targets: [url],
        requests: join(libDir, 'events.mjs'),
        okStatus: 202,
        batch,
        seed,
        connections: opts.conns,
        warmup: opts.warmup,
        duration: opts.duration,
      },
      { cpuGroups: { server: [child.pid] } },
    );
    result.rebuildSeconds = rebuildSeconds;
  } finally {
    await stopServerChild(child);
  }
  if (keepState) result.state = stateBytes(db);
  return result;
}

async function ingestion(template) {
  const out = {};
  for (const store of ['empty', 'prefilled']) {
    for (const batch of BATCHES) {
      const cell = { none: [], twenty: [] };
      for (let i = 0; i < opts.reps; i++) {
        for (const which of ['none', 'twenty']) {
          const r = await ingestRep({
            template: store === 'prefilled' ? template : undefined,
            withSegments: which === 'twenty',
            batch,
            seed: i + 1,
            keepState: store === 'empty' && which === 'twenty' && i === 0,
          });
          cell[which].push(r);
          log(`C ${store} store, batch ${batch}, ${which} segments, rep ${i + 1}: ${describeLoad(r)}`);
        }
      }
      cell.ratio = ratio(stat(cell.twenty, 'eventsPerSecond').m, stat(cell.none, 'eventsPerSecond').m);
      out[`${store}-${batch}`] = { store, batch, ...cell };
    }
  }
  return out;
}

// ---------- the report ----------

const ms = (x) => `${fmt(x)} ms`;
/** A count as written out (10, 100,000, 1,000,000): fmt would print 10 as "10.0". */
const n = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const mark = (met) => (met ? '**met**' : '**not met**');

function render(results) {
  const { meta, before, after, template, server, A, B, C, D } = results;
  const p = lines();
  p('## Segment state: answers from per-customer state, isolation, ingestion cost, rebuild');
  p();
  p(`- Command: \`npm run build -w @odpkit/server && ${meta.command}\`; run ${meta.date}.`);
  p(
    `- Machine: ${meta.nproc} cores (${meta.cpuModel}), Node ${meta.node}, ${meta.memGiB} GiB RAM. Before the run: ${before.text}; after: ${after.text}. Shared machine: read the ratios within this run.`,
  );
  p(`- Server: \`packages/server/dist\` (copied at start) from ${server.commit}.`);
  p(
    `- Data: one account with a customer of ${n(opts.small)} events, one of ${n(opts.big)} and one of ${n(opts.huge)} (over the last 60 days; \`bench/segment-state/data.mjs\`), pre-filled through the server's exported store ${template.cached ? '(cached in `bench/.bench-tmp/segment-state/`)' : `in ${template.seconds.toFixed(0)} s`}, SQLite file ${(dbBytes(template.db) / 2 ** 20).toFixed(0)} MiB; a second account posts in B and D. Segments for A, B and D: \`bought_3\` (an unwindowed count), \`viewed_7d\`, \`has_email\`, applied through \`POST /admin/v1/segments:apply\` and built over the stored history in ${A.applySeconds.toFixed(1)} s before measuring.`,
  );
  p();
  const goalA = A.ratioP50 <= 2;
  const goalB = B.whileQuerying.p99 < 50;
  p('| goal | measured | |');
  p('|---|---|---|');
  p(
    `| A: answer for the ${n(opts.big)}-event customer within 2× the ${n(opts.small)}-event one (p50) | ${fmtRatio(A.ratioP50)} | ${mark(goalA)} |`,
  );
  p(
    `| B: another account's POST p99 < 50 ms while the ${n(opts.huge)}-event customer is queried | ${ms(B.whileQuerying.p99)} | ${mark(goalB)} |`,
  );
  const goalsC = Object.values(C).map((c) => c.ratio >= 0.8);
  for (const c of Object.values(C)) {
    p(
      `| C: ingestion with 20 segments ≥ 0.8× none, batch ${c.batch}, ${c.store === 'empty' ? 'empty store' : `${n(opts.small + opts.big + opts.huge)} events stored`} | ${fmtRatio(c.ratio)} | ${mark(c.ratio >= 0.8)} |`,
    );
  }
  const state = C[`empty-${BATCHES[0]}`].twenty[0].state;
  p(
    `| C: bytes of segment state per customer (20 segments) | ${fmt(state.diskBytesPerCustomer)} B on disk, ${fmt(state.valueBytesPerCustomer)} B of value | reported |`,
  );
  p(
    `| D: a new segment over ${n(opts.small + opts.big + opts.huge)} stored events ready after | ${D.seconds.toFixed(1)} s | reported |`,
  );
  p();
  p(`**${[goalA, goalB, ...goalsC].every(Boolean) ? 'All goals met.' : 'Not every goal met.'}**`);
  p();
  p(`### A. Answer time vs history (${n(opts.queries)} queries each, one at a time, after 50 warm-up queries)`);
  p();
  p(
    table(
      ['customer', 'p50', 'p90', 'p99', 'max'],
      ['small', 'big'].map((w) => [
        `${w} (${n(opts[w])} events)`,
        ms(A[w].p50),
        ms(A[w].p90),
        ms(A[w].p99),
        ms(A[w].max),
      ]),
    ),
  );
  p();
  p(`### B. Another account's \`POST /v3/events\` (10 events, ${n(opts.posts)} one at a time)`);
  p();
  p(
    table(
      ['while', 'p50', 'p90', 'p99', 'max'],
      [
        ['no queries', B.quiet],
        [
          `${opts.conns} connections query the ${n(opts.huge)}-event customer (${fmt(B.hugeQueriesPerSecond)} answers/s)`,
          B.whileQuerying,
        ],
      ].map(([w, s]) => [w, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)]),
    ),
  );
  p();
  p(
    `### C. Ingestion with 20 segments vs none (autocannon, ${opts.conns} connections, ${opts.warmup} s warm-up, ${opts.duration} s measured, ${opts.reps} rep(s) interleaved; median (min–max), p99 pooled over reps)`,
  );
  p();
  const rows = [];
  for (const c of Object.values(C)) {
    for (const which of ['none', 'twenty']) {
      const reps = c[which];
      rows.push([
        c.store === 'empty' ? 'empty' : `${n(opts.small + opts.big + opts.huge)} events`,
        c.batch,
        which === 'none' ? 'none' : '20',
        stat(reps, 'eventsPerSecond').text,
        ms(pooledPercentiles(reps.map((r) => r.latencies)).p99),
        `${fmt(median(reps.map((r) => r.cpu.server)))}%`,
        which === 'twenty' ? fmtRatio(c.ratio) : '',
      ]);
    }
  }
  p(table(['store', 'batch', 'segments', 'events/s', 'p99', 'server CPU', 'ratio'], rows));
  p();
  p(
    `Events from \`bench/lib/events.mjs\` (about 345 B, fresh idempotence ids, 200,000 skewed customers that merge). The 20 segments (\`TWENTY_SEGMENTS\` in \`data.mjs\`) are applied before each rep's load and built over the stored history first (${fmt(
      median(
        Object.values(C)
          .filter((c) => c.store === 'prefilled')
          .flatMap((c) => c.twenty.map((r) => r.rebuildSeconds)),
      ),
    )} s on the pre-filled store, median). State after the empty-store rep at batch ${BATCHES[0]}: ${n(state.customersWithState)} of ${n(state.customers)} customers hold state, ${fmt(state.diskBytesPerCustomer)} B per customer in the table's pages (\`dbstat\`), ${fmt(state.valueBytesPerCustomer)} B of state value.`,
  );
  p();
  p(`### D. Rebuild`);
  p();
  p(
    `\`PUT /admin/v1/segments/rebuilt\` (search, count ≥ 2, within 30d) over ${n(opts.small + opts.big + opts.huge)} stored events: ready after ${D.seconds.toFixed(1)} s (${n(D.scannedEventIds)} event ids scanned). ${D.postsDuringRebuild ? `The other account's POSTs meanwhile (${n(D.postsDuringRebuild.count)}): p50 ${ms(D.postsDuringRebuild.p50)}, p99 ${ms(D.postsDuringRebuild.p99)}, max ${ms(D.postsDuringRebuild.max)}.` : 'No POST was sent: it was ready at the first look.'}`,
  );
  return p.text();
}

// ---------- main ----------

async function main() {
  const startedAt = Date.now();
  const meta = runMeta('segment-state', argv);
  const before = loadReport();
  log(`machine before: ${before.text}; options ${JSON.stringify(opts)}`);
  mkdirSync(tmp, { recursive: true });
  const server = snapshotServer('segment-state');
  const template = await prefilled();
  const results = { meta, before, opts, server, template };
  try {
    const db = copyDb(template.db, join(runDir, 'abd.db'));
    const { child, url } = await startServerChild({ db });
    try {
      const applySeconds = await applySegments(url, THREE_SEGMENTS);
      results.A = { applySeconds, ...(await answerTime(url)) };
      log('A answer time (ms)', JSON.stringify(results.A));
      results.B = await isolation(url);
      log('B other account POST latency (ms)', JSON.stringify(results.B));
      results.D = await rebuild(url);
      log('D rebuild', JSON.stringify(results.D));
    } finally {
      await stopServerChild(child);
    }
    results.C = await ingestion(template.db);
  } finally {
    rmDir(runDir);
    rmDir(server.dir);
  }
  results.after = loadReport();
  log(`machine after: ${results.after.text}`);
  publish('segment-state', render(results), results, { write: opts.write, startedAt });
}

await main();
