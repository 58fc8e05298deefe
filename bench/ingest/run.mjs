// Durable-ingestion benchmark of @odpkit/server, with its ceilings measured in the same run, interleaved rep by rep:
// (a) a bare Fastify route, (b) raw SQLite inserts of the same events in two layouts — 'plain' (the first baseline:
// SQLite defaults, a TEXT UNIQUE key, one commit per batch) and 'server' (tuned exactly like the server's store, see
// ceiling-sqlite.mjs), the latter committed per batch and group-committed like the server.
//
//   node bench/ingest/run.mjs            full run (about 20 minutes), writes the ingest section of BENCHMARKS.md
//   node bench/ingest/run.mjs --quick    smoke run, prints only (add --write to write)
//
// Options: --reps N --warmup S --duration S --raw-duration S --prefill N --decay-conns 10,50
//          --no-write --write --profile (server child with --cpu-prof, into bench/.bench-tmp/profiles)
//          --server-head: measure packages/server as committed at git HEAD (exported and built with tsup into
//            this run's temp dir) instead of a snapshot of packages/server/dist taken at start.
// Without --server-head, build the server first: npm run build -w @odpkit/server
//
// Every HTTP configuration: a fresh target process and a fresh DB file per rep, autocannon in its own process
// (bench/lib/load-generator.mjs), warm-up then a measured run; CPU of the target and of the load generator from
// /proc over the measured run, and the CPU used by everything else on the machine. Latency percentiles pool every
// request of every rep.

import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runLoad } from '../lib/load.mjs';
import { loadReport, machineMeta } from '../lib/machine.mjs';
import { lines, publish, table } from '../lib/markdown.mjs';
import { benchTmp, libDir, log, repoRoot } from '../lib/paths.mjs';
import { forkReady, runNodeJson, stopChild } from '../lib/processes.mjs';
import { benchOptions } from '../lib/run-options.mjs';
import { snapshotServer, startServerChild } from '../lib/server.mjs';
import { copyDb, dbBytes, rmDir } from '../lib/sqlite-files.mjs';
import { fmt, fmtRatio, median, pooledPercentiles, ratio, stat, sumOf } from '../lib/stats.mjs';

const here = import.meta.dirname;
const SECTION = 'server-ingest';
const { argv, flag, option, common } = benchOptions();
const quick = common.quick;
const opts = {
  ...common,
  rawWarmup: quick ? 0.5 : 1,
  rawDuration: Number(option('--raw-duration', quick ? 2 : 5)),
  prefill: Number(option('--prefill', quick ? 50_000 : 1_000_000)),
  decayConns: option('--decay-conns', '10,50').split(',').map(Number),
  profile: flag('--profile'),
  serverHead: flag('--server-head'),
};
const BATCHES = [10, 500];
const CONNS = [10, 50];
const EVENTS_REQUESTS = join(libDir, 'events.mjs');

const tmpRoot = join(benchTmp, `ingest-${process.pid}`);
mkdirSync(tmpRoot, { recursive: true });
const profileDir = join(benchTmp, 'profiles');

// ---------- group commit as the server does it ----------

/**
 * Batches per transaction of the group-committed raw ceiling: the server's group commit (window 0 ms by default)
 * takes every batch waiting when the previous commit ends, whole batches up to maxGroupEvents events but at least
 * one. Without HTTP in between, every one of `conns` clients has its next batch waiting at that moment, so this is
 * the most a group commit at this concurrency can gather: the ceiling for it.
 */
function groupBatchesFor(batch, conns, maxGroupEvents) {
  let take = 0;
  let events = 0;
  while (take < conns && (take === 0 || events + batch <= maxGroupEvents)) {
    events += batch;
    take++;
  }
  return take;
}

// ---------- DB files ----------

let dbCounter = 0;
function freshDb(templateDb) {
  const db = join(tmpRoot, `db-${++dbCounter}`, 'odpkit.db');
  if (templateDb) return copyDb(templateDb, db);
  mkdirSync(dirname(db), { recursive: true });
  return db;
}
const dropDb = (db) => rmDir(dirname(db));

// ---------- measurements ----------

async function startTarget(kind, db) {
  if (kind === 'fastify') return forkReady(join(here, 'ceiling-fastify.mjs'));
  return startServerChild({ db, profileDir: opts.profile ? profileDir : undefined });
}

async function httpRep(config, template) {
  const { kind, batch, connections } = config;
  const db = kind === 'fastify' ? null : freshDb(kind === 'server' ? template : null);
  let r;
  try {
    const { child, url } = await startTarget(kind, db);
    try {
      const m = await runLoad(
        {
          targets: [url],
          requests: EVENTS_REQUESTS,
          okStatus: 202,
          batch,
          connections,
          warmup: opts.warmup,
          duration: opts.duration,
        },
        { cpuGroups: { target: [child.pid] }, ioPid: child.pid },
      );
      r = {
        ...m,
        targetCpu: m.cpu.target,
        loadCpu: m.cpu.load,
        otherCpu: m.cpu.other,
        kibPerEvent: m.ok > 0 ? m.writtenBytes / 1024 / (m.ok * batch) : Number.NaN,
      };
    } finally {
      await stopChild(child);
    }
  } catch (error) {
    r = { failed: String(error?.message || error) };
  } finally {
    if (db) dropDb(db);
  }
  config.reps.push(r);
  log(
    `${kind} ${config.store} batch=${batch} conns=${connections} rep ${config.reps.length}:`,
    r.failed
      ? `FAILED ${r.failed}`
      : `${fmt(r.eventsPerSecond)} ev/s p99=${fmt(r.p99)} ms notOk=${r.notOk} errors=${r.errors} cpu=${fmt(r.targetCpu)}% other=${fmt(r.otherCpu)}%`,
  );
}

function rawRep(config, template, seed) {
  const db = freshDb(template);
  let r;
  try {
    r = runNodeJson(join(here, 'ceiling-sqlite.mjs'), [
      'measure',
      JSON.stringify({
        db,
        layout: config.layout,
        batch: config.batch,
        groupBatches: config.groupBatches,
        warmup: opts.rawWarmup,
        duration: opts.rawDuration,
        seed,
      }),
    ]);
  } catch (error) {
    r = { failed: String(error?.message || error) };
  } finally {
    dropDb(db);
  }
  config.reps.push(r);
  log(
    `raw ${config.layout} ${config.store} batch=${config.batch} x${config.groupBatches}/txn rep ${config.reps.length}:`,
    r.failed ? `FAILED ${r.failed}` : `${fmt(r.eventsPerSecond)} ev/s`,
  );
}

/** An empty DB created by the server itself: the tuned ceiling writes into the server's own tables and indexes. */
async function serverSchemaTemplate() {
  const db = join(tmpRoot, 'server-schema', 'odpkit.db');
  mkdirSync(dirname(db), { recursive: true });
  const { child } = await startServerChild({ db });
  await stopChild(child);
  return db;
}

async function prefillServer(events) {
  const db = join(tmpRoot, 'server-template', 'odpkit.db');
  mkdirSync(dirname(db), { recursive: true });
  const started = process.hrtime.bigint();
  const { child, url } = await startServerChild({ db });
  let stored = 0;
  let non2xx = 0;
  try {
    for (let attempt = 0; stored < events && attempt < 5; attempt++) {
      const amount = Math.ceil((events - stored) / 500);
      const r = await runLoad({
        targets: [url],
        requests: EVENTS_REQUESTS,
        okStatus: 202,
        batch: 500,
        connections: Math.min(10, amount), // autocannon needs at least one request per connection
        amount,
        seed: 100 + attempt,
      });
      stored += r.ok * 500;
      non2xx += r.notOk + r.errors;
    }
  } finally {
    await stopChild(child);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { db, stored, non2xx, seconds, bytes: dbBytes(db) };
}

function prefillRaw(layout, rows, schemaTemplate) {
  const db = join(tmpRoot, `raw-${layout}-template`, 'odpkit.db');
  if (schemaTemplate) copyDb(schemaTemplate, db);
  else mkdirSync(dirname(db), { recursive: true });
  return { db, ...runNodeJson(join(here, 'ceiling-sqlite.mjs'), ['prefill', JSON.stringify({ db, layout, rows })]) };
}

function fsyncProbe(seconds = 2) {
  const file = join(tmpRoot, 'fsync-probe');
  const out = execSync(
    `${JSON.stringify(process.execPath)} -e "const fs=require('fs');const fd=fs.openSync('${file}','w');const b=Buffer.alloc(4096,1);let n=0;const end=Date.now()+${seconds * 1000};while(Date.now()<end){fs.writeSync(fd,b,0,4096,(n%100)*4096);fs.fdatasyncSync(fd);n++}console.log(n/${seconds})"`,
  );
  return Number(out.toString().trim());
}

// ---------- the server under test ----------

function buildServerHead() {
  const dir = join(tmpRoot, 'server-head'); // per run: two runs at once must not rebuild each other's server
  mkdirSync(dir, { recursive: true });
  execSync(
    `git archive HEAD packages/server/src packages/server/package.json tsconfig.base.json | tar -x -C '${dir}'`,
    { cwd: repoRoot },
  );
  const pkg = join(dir, 'packages', 'server');
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'tsup'),
    // The SQLite writer thread's entry is a second file beside index.js (packages/server/tsup.config.ts).
    [
      '--entry.index',
      'src/index.ts',
      '--entry.sqlite-writer',
      'src/store/sqlite/writer-entry.ts',
      ...['--format', 'esm', '--target', 'node20', '--platform', 'node', '--out-dir', 'dist', '--silent'],
    ],
    { cwd: pkg, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const module = join(pkg, 'dist', 'index.js');
  process.env.ODPKIT_SERVER_MODULE = module;
  const commit = execSync('git log -1 --format="%h %cI" -- packages/server', { cwd: repoRoot }).toString().trim();
  return { module, commit: `${commit} (git HEAD, built by the harness)` };
}

// ---------- rendering ----------

const ok = (c) => c.reps.filter((r) => !r.failed);
const med = (c, key) => (c ? median(ok(c).map((r) => r[key])) : Number.NaN);
const pooled = (c) => pooledPercentiles(ok(c).map((r) => r.latencies ?? []));
const yes = (b) => (b === undefined ? '–' : b ? 'yes' : '**no**');
const meets = (x, target) => yes(Number.isFinite(x) ? x >= target : undefined);

function render(results, meta) {
  const { http, raw, prefill, rawPrefill } = results;
  const find = (kind, store, batch, connections) =>
    http.find((c) => c.kind === kind && c.store === store && c.batch === batch && c.connections === connections);
  const findRaw = (layout, store, batch, groupBatches = 1) =>
    raw.find((c) => c.layout === layout && c.store === store && c.batch === batch && c.groupBatches === groupBatches);
  const groupedFor = (store, batch, conns) =>
    findRaw('server', store, batch, groupBatchesFor(batch, conns, meta.maxGroupEvents));
  const storeLabel = (s) => (s === 'empty' ? 'empty' : `${fmt(prefill?.stored ?? opts.prefill)} stored`);
  const storeConfig = (s, conns) => `${s === 'empty' ? 'empty store' : storeLabel(s)}, ${conns} conns`;
  const ceilings = (store, batch, conns) => [
    ['plain per-batch', findRaw('plain', store, batch)],
    ['tuned per-batch', findRaw('server', store, batch)],
    ['tuned group-committed', groupedFor(store, batch, conns)],
  ];
  const p = lines();

  p('## Server ingestion');
  p();
  p(
    'Durable ingestion of `@odpkit/server` (`POST /v3/events`, 202 after commit, SQLite WAL, identity stitching on) against ceilings measured in the same run, interleaved rep by rep: ' +
      '(a) a bare Fastify route that parses the same body and answers 202; (b) raw better-sqlite3 inserts of the same events with no HTTP, no validation and no stitching, in two layouts: ' +
      "**plain** (the first baseline: one `events` table with the idempotence id as TEXT under a UNIQUE index, SQLite's default 2 MB page cache and checkpointing, `synchronous=FULL`, WAL, one transaction per batch) and " +
      `**tuned** (exactly the server's store: a DB file the server created itself, so its tables, keys and indexes; its pragmas — WAL, \`wal_autocheckpoint\` 10,000 pages, \`synchronous=FULL\`, 64 MiB page cache, \`temp_store=MEMORY\`; per event one row in the WITHOUT ROWID \`dedup\` table keyed by the UUID's 16 bytes and one \`events\` row, plus the per-account counter upsert per transaction), committed either **per batch** or **group-committed** like the server: each transaction holds the batches of all the run's connections, whole batches up to the server's ${meta.maxGroupEvents} events per commit (its \`maxGroupEvents\`; its commit window is 0 ms, so a group is what waits when the previous commit ends — without HTTP every client's next batch is waiting, the most grouping this concurrency allows).`,
  );
  p();
  p(
    `- Run: ${meta.date}${opts.quick ? ' — **--quick smoke run, not a measurement**' : ''}; total ${meta.minutes.toFixed(1)} min.`,
  );
  p(
    `- Machine: ${meta.nproc} cores (${meta.cpuModel}), Node ${meta.node}, ${meta.memGiB} GiB RAM; at the start: load average ${meta.loadavg} (1, 5, 15 min), other processes used ${fmt(meta.busyBefore)}% CPU (of ${meta.nproc * 100}%) over 2 s, 4 KiB write+fdatasync ${fmt(meta.fsyncBefore)}/s; during the measured seconds other processes used ${fmt(meta.otherDuring)}% CPU (median over all HTTP reps); load average at the end ${meta.loadavgEnd}. Shared machine: compare ratios within this run, not absolute numbers across runs.`,
  );
  p(
    `- Server: \`${meta.serverModule}\` from ${meta.serverCommit}${meta.serverAvailable ? '' : ' — **not available, server rows skipped**'}`,
  );
  p(
    `- Method: per rep a fresh target process and a fresh DB file, autocannon 8 (programmatic API) in a separate process, ${opts.warmup} s warm-up then ${opts.duration} s measured, ${opts.reps} rep(s); rates are the median (min–max) over reps, latency percentiles are over **every request of every rep pooled together** (exact, from per-response hrtime). ` +
      'Every request body is generated on the fly: typical ODP events (about 345 B each; ' +
      `${meta.bodyBytes[10]} B for 10 events, ${meta.bodyBytes[500]} B for 500), each with a fresh UUID v4 \`idempotence_id\` in \`data\`, identifiers (\`fs_user_id\`, \`email\` with mixed case, sometimes \`vuid\`) drawn with a skew from 200,000 customers so customers repeat and anonymous/email-only customers get merged into known ones (\`bench/lib/events.mjs\`). ` +
      `Raw SQLite: ${opts.rawWarmup} s warm-up then ${opts.rawDuration} s of back-to-back transactions in one process. ` +
      'Interleaved: for each batch size and connection count, rep 1 of the bare route, the server on an empty and on the pre-filled store, and the raw ceilings of that batch size run back to back, then rep 2, …, so that ratios compare measurements taken under the same background load.',
  );
  if (prefill) {
    p(
      `- Pre-fill for the decay rows: ${fmt(prefill.stored)} events sent through the server's own HTTP endpoint (batch 500, 10 connections, same generator, so customers, identifiers and merges accumulate as in production) into one template DB (${(prefill.bytes / 2 ** 20).toFixed(0)} MiB; took ${prefill.seconds.toFixed(0)} s, i.e. ${fmt(prefill.stored / prefill.seconds)} events/s averaged from 0 to ${fmt(prefill.stored)}; non-2xx+errors ${prefill.non2xx}), copied page by page to a fresh file per rep. Raw SQLite at ${fmt(rawPrefill.plain?.rows)} rows: pre-filled with the same rows at synchronous=OFF in each layout, copied per rep.`,
    );
  }
  p(`- Reproduce: \`${meta.command}\``);
  p();
  p('### Throughput and latency');
  p();
  const rows = [];
  for (const c of http) {
    const server = c.kind === 'server';
    const fastify = find('fastify', 'empty', c.batch, c.connections);
    const lat = pooled(c);
    const failed = c.reps.some((r) => r.failed)
      ? ` — ${c.reps.filter((r) => r.failed).length} rep(s) failed: ${c.reps.find((r) => r.failed).failed}`
      : '';
    const vs = (raw) => (server ? fmtRatio(ratio(med(c, 'eventsPerSecond'), med(raw, 'eventsPerSecond'))) : '–');
    const [plain, tuned, grouped] = ceilings(c.store, c.batch, c.connections).map(([, r]) => r);
    rows.push([
      server ? '**odpkit server**' : '(a) bare Fastify route',
      server ? storeLabel(c.store) : '–',
      c.batch,
      c.connections,
      stat(c.reps, 'requestsPerSecond').text,
      stat(c.reps, 'eventsPerSecond').text,
      fmt(lat.p50),
      fmt(lat.p99),
      fmt(lat.max),
      `${sumOf(c.reps, 'notOk')} / ${sumOf(c.reps, 'errors')} (${sumOf(c.reps, 'timeouts')})${failed}`,
      fmt(med(c, 'targetCpu')),
      server ? fmt(med(c, 'kibPerEvent')) : '–',
      fmt(med(c, 'loadCpu')),
      fmt(med(c, 'otherCpu')),
      server ? fmtRatio(ratio(med(c, 'eventsPerSecond'), med(fastify, 'eventsPerSecond'))) : '1.00×',
      vs(plain),
      vs(tuned),
      vs(grouped),
    ]);
  }
  p(
    table(
      [
        'target',
        'store',
        'events/req',
        'conns',
        'req/s median (min–max)',
        'events/s median (min–max)',
        'p50 ms (pooled)',
        'p99 ms (pooled)',
        'max ms',
        'non-2xx / errors (timeouts), sum of reps',
        'target CPU %',
        'disk KiB written / event',
        'autocannon CPU %',
        'other CPU %',
        '÷ bare Fastify',
        '÷ plain raw, per batch (old ceiling)',
        '÷ tuned raw, per batch',
        '÷ tuned raw, group-committed (same conns)',
      ],
      rows,
    ),
  );
  p();
  p(
    'Ratios divide events/s medians; the raw ceiling in each ratio is measured on the same store size (empty or pre-filled) and batch size.',
  );
  p();
  p('### (b) Raw SQLite ceilings');
  p();
  p(
    table(
      [
        'layout',
        'commit',
        'rows before',
        'events/txn',
        'events/s median (min–max)',
        'transactions/s',
        'process CPU %',
        'disk KiB written / event',
      ],
      raw.map((c) => [
        c.layout === 'plain' ? 'plain (old)' : 'tuned like the server',
        c.groupBatches === 1 ? 'per batch' : `group of ${c.groupBatches} batches (${c.conns.join(', ')} conns)`,
        c.store === 'empty' ? '0' : fmt(rawPrefill[c.layout]?.rows),
        c.batch * c.groupBatches,
        stat(c.reps, 'eventsPerSecond').text,
        fmt(med(c, 'transactionsPerSecond')),
        fmt(med(c, 'cpuPercent')),
        fmt(med(c, 'kibPerEvent')),
      ]),
    ),
  );
  p();
  p('### Goals');
  p();
  p(
    'Each throughput goal is judged against each ceiling: the plain one the goals were first measured against, the tuned per-batch one (the same storage work as the server, one commit per batch), and the tuned group-committed one (the same storage work, committed the way the server commits). p99 is over every request of every rep.',
  );
  p();
  const goals = [];
  const against = (goal, target, s, store, batch, conns) => {
    for (const [name, c] of ceilings(store, batch, conns)) {
      const x = ratio(med(s, 'eventsPerSecond'), med(c, 'eventsPerSecond'));
      goals.push([
        goal,
        storeConfig(store, conns),
        name,
        `${fmt(med(s, 'eventsPerSecond'))} vs ${fmt(med(c, 'eventsPerSecond'))} events/s = ${fmtRatio(x)}`,
        `≥ ${target.toFixed(2)}×`,
        meets(x, target),
      ]);
    }
  };
  if (!meta.serverAvailable) goals.push(['all', '–', '–', 'server not available in this run', '–', '–']);
  for (const conns of CONNS) {
    const s = find('server', 'empty', 10, conns);
    if (s) against('batch 10: at least the raw per-batch insert rate', 1, s, 'empty', 10, conns);
  }
  for (const conns of CONNS) {
    const s = find('server', 'empty', 500, conns);
    if (s) against('batch 500: at least half the raw insert rate', 0.5, s, 'empty', 500, conns);
  }
  for (const store of ['empty', 'prefilled']) {
    for (const conns of CONNS) {
      const s = find('server', store, 10, conns);
      if (!s) continue;
      const lat = pooled(s);
      const perRep = ok(s).map((r) => fmt(r.p99));
      goals.push([
        'p99 below 50 ms at batch 10',
        storeConfig(store, conns),
        '–',
        `${fmt(lat.p99)} ms over ${lat.count} requests (per rep: ${perRep.join(', ')})`,
        '< 50 ms',
        yes(Number.isFinite(lat.p99) ? lat.p99 < 50 : undefined),
      ]);
    }
  }
  for (const batch of BATCHES) {
    for (const conns of opts.decayConns) {
      const a = find('server', 'empty', batch, conns);
      const b = find('server', 'prefilled', batch, conns);
      if (!a || !b) continue;
      const x = ratio(med(b, 'eventsPerSecond'), med(a, 'eventsPerSecond'));
      goals.push([
        `rate within 30% from empty to ${fmt(prefill?.stored)} stored`,
        `batch ${batch}, ${conns} conns`,
        '–',
        `${fmt(med(a, 'eventsPerSecond'))} → ${fmt(med(b, 'eventsPerSecond'))} events/s = ${fmtRatio(x)}`,
        '≥ 0.70×',
        meets(x, 0.7),
      ]);
    }
  }
  for (const c of raw.filter((r) => r.store === 'empty')) {
    const full = findRaw(c.layout, 'prefilled', c.batch, c.groupBatches);
    if (!full) continue;
    goals.push([
      '(reference) raw SQLite decay',
      `batch ${c.batch}, ${c.groupBatches === 1 ? 'per batch' : `${c.groupBatches} batches per txn`}`,
      c.layout === 'plain' ? 'plain' : 'tuned',
      `${fmt(med(c, 'eventsPerSecond'))} → ${fmt(med(full, 'eventsPerSecond'))} events/s = ${fmtRatio(ratio(med(full, 'eventsPerSecond'), med(c, 'eventsPerSecond')))}`,
      '–',
      '–',
    ]);
  }
  p(table(['goal', 'config', 'ceiling', 'measured', 'target', 'met?'], goals));
  p();
  p(
    `For scale (not measured here): RudderStack publishes about 1,700 durable events/s on 2 cores. "other CPU %" is what the rest of the machine used during the measured seconds (of ${meta.nproc * 100}%); high values mean the numbers of that row were taken on a busy machine.`,
  );
  return p.text();
}

// ---------- main ----------

async function main() {
  const t0 = Date.now();
  const server = opts.serverHead ? buildServerHead() : snapshotServer('ingest');
  let serverAvailable = false;
  let maxGroupEvents = Number.NaN;
  try {
    const m = await import(server.module);
    serverAvailable = typeof m.startServer === 'function';
    maxGroupEvents = m.DEFAULT_LIMITS?.maxGroupEvents;
  } catch (error) {
    log(`cannot import ${server.module}: ${error.message}`);
  }
  if (!serverAvailable)
    throw new Error(`${server.module} has no startServer: the tuned ceiling needs the server's schema`);
  if (!Number.isInteger(maxGroupEvents)) throw new Error('the server does not export DEFAULT_LIMITS.maxGroupEvents');
  const { makeBodyGenerator, makeEventPool } = await import('../lib/events.mjs');
  const pool = makeEventPool();
  const before = loadReport();
  const meta = {
    ...machineMeta(),
    command: `node bench/ingest/run.mjs${argv.length ? ` ${argv.filter((a) => a !== '--write').join(' ')}` : ''}`,
    serverAvailable,
    serverCommit: server.commit,
    serverModule: opts.serverHead ? 'packages/server at git HEAD' : 'packages/server/dist (copied at start)',
    maxGroupEvents,
    bodyBytes: { 10: makeBodyGenerator(10, pool)().length, 500: makeBodyGenerator(500, pool)().length },
    busyBefore: before.busyPercent,
    fsyncBefore: fsyncProbe(),
  };
  log(`machine before the run: ${before.text}; fdatasync ${meta.fsyncBefore}/s`);
  log(`options ${JSON.stringify(opts)}`);

  const results = { http: [], raw: [], prefill: null, rawPrefill: {} };

  // Templates first, so that every comparison below can be interleaved rep by rep: the machine is shared, and a
  // ceiling, the server on an empty store and the server on a full store measured back to back see the same
  // background load, while measured minutes apart they do not.
  const schemaDb = await serverSchemaTemplate();
  results.rawPrefill.plain = prefillRaw('plain', opts.prefill, null);
  results.rawPrefill.server = prefillRaw('server', opts.prefill, schemaDb);
  log(`raw templates: ${results.rawPrefill.plain.rows} / ${results.rawPrefill.server.rows} rows`);
  results.prefill = await prefillServer(opts.prefill);
  log(`server template: ${results.prefill.stored} events in ${results.prefill.seconds.toFixed(1)} s`);
  const templates = {
    empty: { plain: null, server: schemaDb, http: null },
    prefilled: { plain: results.rawPrefill.plain.db, server: results.rawPrefill.server.db, http: results.prefill.db },
  };

  const http = (kind, store, batch, connections) => {
    const c = { kind, store, batch, connections, reps: [] };
    results.http.push(c);
    return c;
  };
  const rawConfigs = new Map();
  const rawConfig = (layout, store, batch, groupBatches, conns) => {
    const key = `${layout}/${store}/${batch}/${groupBatches}`;
    if (rawConfigs.has(key)) {
      rawConfigs.get(key).conns.push(conns);
      return null; // the same transaction size as another connection count: measured once
    }
    const c = { layout, store, batch, groupBatches, conns: [conns], reps: [] };
    rawConfigs.set(key, c);
    results.raw.push(c);
    return c;
  };
  const groups = [];
  for (const batch of BATCHES) {
    for (const [i, conns] of CONNS.entries()) {
      const steps = [];
      const stores = ['empty', ...(opts.decayConns.includes(conns) ? ['prefilled'] : [])];
      steps.push(['http', http('fastify', 'empty', batch, conns), null]);
      for (const store of stores) steps.push(['http', http('server', store, batch, conns), templates[store].http]);
      for (const store of ['empty', 'prefilled']) {
        if (i === 0) {
          steps.push(['raw', rawConfig('plain', store, batch, 1, conns), templates[store].plain]);
          steps.push(['raw', rawConfig('server', store, batch, 1, conns), templates[store].server]);
        }
        const k = groupBatchesFor(batch, conns, maxGroupEvents);
        if (k > 1) steps.push(['raw', rawConfig('server', store, batch, k, conns), templates[store].server]);
      }
      groups.push(steps.filter(([, c]) => c !== null));
    }
  }
  for (const steps of groups) {
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const [kind, config, template] of steps) {
        if (kind === 'http') await httpRep(config, template);
        else rawRep(config, template, rep + 1);
      }
    }
  }
  rmDir(tmpRoot);
  const order = (c) =>
    (c.kind === 'fastify' ? 0 : 1) * 1e6 + (c.store === 'empty' ? 0 : 5e5) + c.batch * 100 + c.connections;
  results.http.sort((a, b) => order(a) - order(b));
  const rawOrder = (c) =>
    (c.layout === 'plain' ? 0 : 1) * 1e7 + (c.store === 'empty' ? 0 : 5e6) + c.batch * 1e3 + c.groupBatches;
  results.raw.sort((a, b) => rawOrder(a) - rawOrder(b));
  meta.otherDuring = median(results.http.flatMap((c) => ok(c).map((r) => r.otherCpu)));
  meta.loadavgEnd = machineMeta().loadavg;
  meta.minutes = (Date.now() - t0) / 60_000;

  const markdown = render(results, meta);
  publish('ingest', markdown, { meta, opts, results }, { write: opts.write, section: SECTION, startedAt: t0 });
  if (!opts.serverHead) rmDir(server.dir);
}

await main();
