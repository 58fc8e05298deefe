// Data-lifecycle benchmark of odpkit: import rate (against plain ingestion on the same machine, in the same run),
// export rate and its peak memory, and what retention running in the background does to ingestion p99.
//
//   node bench/lifecycle/run.mjs                 full run (1,000,000 events; writes its section of BENCHMARKS.md)
//   node bench/lifecycle/run.mjs --events 5000   smoke run (prints only; add --write to write)
//
// Options: --events N (default 1,000,000) --load-seconds S (default 20) --write / --no-write
// Build first: npm run build (the CLI and the server are measured as built, from packages/*/dist). It takes the
// benchmark lock itself (bench/lib/lock.mjs) and, at full size, refuses to start beside a test suite or benchmark.

import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUnderBenchLock } from '../lib/lock.mjs';
import { writeSection } from '../lib/markdown.mjs';
import { benchTmp, log, parseArgs, repoRoot } from '../lib/paths.mjs';
import { forkReady, stopChild } from '../lib/processes.mjs';
import { snapshotServer } from '../lib/server.mjs';
import { quantileSorted } from '../lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(repoRoot, 'packages/cli/dist/bin.js');

const { flag, option } = parseArgs();
const EVENTS = Number(option('--events', 1_000_000));
const FULL = EVENTS >= 1_000_000;
runUnderBenchLock({ measurement: FULL });
const LOAD_SECONDS = Number(option('--load-seconds', FULL ? 20 : 3));
const WRITE = flag('--write') || (FULL && !flag('--no-write'));
const DAY = 86_400_000;
const NOW = Date.now();

// The server as built now: a rebuild by someone else during the run does not change what is measured.
const server = snapshotServer('lifecycle');
const tmp = join(benchTmp, `lifecycle-${process.pid}`);
mkdirSync(tmp, { recursive: true });

// ---------- helpers ----------

function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function startServer(db, extra = {}) {
  const { child, url, pid } = await forkReady(
    join(here, 'server-child.mjs'),
    [JSON.stringify({ db, nowMs: NOW, ...extra })],
    {
      execArgv: ['--no-deprecation'],
    },
  );
  return { url, pid, close: () => stopChild(child) };
}

/** Runs the CLI, sampling its peak RSS (VmHWM) until it exits. */
function runCli(args) {
  return new Promise((res, rej) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peak = 0;
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setInterval(() => {
      const v = peakRssMiB(child.pid);
      if (v > peak) peak = v;
    }, 50);
    child.on('error', rej);
    child.on('exit', (code) => {
      clearInterval(timer);
      res({ code, stderr, seconds: (performance.now() - started) / 1000, peakRssMiB: peak });
    });
  });
}

const CUSTOMERS = Math.max(100, Math.floor(EVENTS / 5));
function eventLine(i, withReceivedAt) {
  const c = Math.floor(Math.random() ** 2 * CUSTOMERS);
  const identifiers = i % 3 === 0 ? { fs_user_id: `u${c}`, email: `user${c}@example.com` } : { fs_user_id: `u${c}` };
  const e = {
    type: 'fullstack',
    action: ['pageview', 'add_to_cart', 'purchase'][i % 3],
    identifiers,
    data: { idempotence_id: randomUUID(), page: '/products/widget-pro', price: 19.99, n: i },
  };
  // Spread over 800 days, oldest first, so that half is older than a 400-day retention.
  if (withReceivedAt) e.received_at = new Date(NOW - Math.floor(((EVENTS - i) / EVENTS) * 800 * DAY)).toISOString();
  return JSON.stringify(e);
}

async function writeFile(path, withReceivedAt) {
  const out = createWriteStream(path);
  for (let i = 0; i < EVENTS; i++) {
    if (!out.write(`${eventLine(i, withReceivedAt)}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

/** Plain ingestion: the same events through POST /v3/events, batches of 1,000, 4 requests in flight. */
async function ingest(url, path) {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < lines.length) {
      const batch = lines.slice(next, next + 1000);
      next += 1000;
      const res = await fetch(`${url}/v3/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
        body: `[${batch.join(',')}]`,
      });
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return lines.length / ((performance.now() - started) / 1000);
}

/** Latency of small batches (10 events) from 10 concurrent senders for `seconds`. */
async function latency(url, seconds) {
  const samples = [];
  const until = performance.now() + seconds * 1000;
  let i = 0;
  const sender = async () => {
    while (performance.now() < until) {
      const body = `[${Array.from({ length: 10 }, () => eventLine(i++, false)).join(',')}]`;
      const t = performance.now();
      const res = await fetch(`${url}/v3/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
      samples.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: 10 }, sender));
  samples.sort((a, b) => a - b);
  return {
    requests: samples.length,
    p50: quantileSorted(samples, 0.5),
    p99: quantileSorted(samples, 0.99),
    rps: samples.length / seconds,
  };
}

async function stats(url) {
  return (await fetch(`${url}/admin/v1/stats`, { headers: { 'x-api-key': 'sk' } })).json();
}

// ---------- run ----------

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const results = {};
try {
  log(`generating ${fmt(EVENTS)} events`);
  const plainFile = join(tmp, 'plain.ndjson');
  const importFile = join(tmp, 'import.ndjson');
  await writeFile(plainFile, false);
  await writeFile(importFile, true);

  log('plain ingestion (POST /v3/events)');
  const a = await startServer(join(tmp, 'ingest.db'));
  results.ingestRate = await ingest(a.url, plainFile);
  await a.close();

  log('odpkit import');
  const bDb = join(tmp, 'import.db');
  const b = await startServer(bDb);
  const imp = await runCli(['import', importFile, '--host', b.url, '--private-key', 'sk']);
  if (imp.code !== 0) throw new Error(`import failed: ${imp.stderr}`);
  results.importRate = EVENTS / imp.seconds;
  results.importRssMiB = imp.peakRssMiB;

  log('odpkit export (server)');
  const serverPeakBefore = peakRssMiB(b.pid);
  const exp = await runCli(['export', '--out', join(tmp, 'export.ndjson'), '--host', b.url, '--private-key', 'sk']);
  if (exp.code !== 0) throw new Error(`export failed: ${exp.stderr}`);
  results.exportRate = EVENTS / exp.seconds;
  results.exportRssMiB = exp.peakRssMiB;
  results.serverPeakBefore = serverPeakBefore;
  results.serverPeakAfter = peakRssMiB(b.pid);
  results.exportBytes = statSync(join(tmp, 'export.ndjson')).size;
  await b.close();

  log('odpkit export --db (read-only, no server)');
  const direct = await runCli(['export', '--out', join(tmp, 'direct.ndjson.gz'), '--db', bDb]);
  if (direct.code !== 0) throw new Error(`export --db failed: ${direct.stderr}`);
  results.directRate = EVENTS / direct.seconds;
  results.directRssMiB = direct.peakRssMiB;

  log('ingestion p99 without and with retention running');
  const copies = ['no-retention.db', 'retention.db'].map((f) => join(tmp, f));
  for (const c of copies) execFileSync('cp', [bDb, c]);
  const plain = await startServer(copies[0]);
  results.latencyPlain = await latency(plain.url, LOAD_SECONDS);
  await plain.close();
  const ret = await startServer(copies[1], { retentionMs: 400 * DAY });
  const before = (await stats(ret.url)).events;
  results.latencyRetention = await latency(ret.url, LOAD_SECONDS);
  const after = await stats(ret.url);
  results.retentionDeleted = before + results.latencyRetention.requests * 10 - after.events;
  results.retentionOldest = after.oldest_event_at;
  await ret.close();
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(server.dir, { recursive: true, force: true });
}

const r = results;
const section = `## Data lifecycle: import, export, retention

${fmt(EVENTS)} ODP events (identifiers \`fs_user_id\`, a third also \`email\`, from ${fmt(CUSTOMERS)} customers with a skew;
about ${fmt(r.exportBytes / EVENTS)} bytes per exported line), SQLite, server and CLI built from the repository, each
server in its own process.

- Run: ${new Date().toISOString()}; ${os.cpus().length} cores, Node ${process.version}, load average at start ${os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ')} (shared machine: read the ratios). Server: ${server.commit}.
- Reproduce: \`npm run build && node bench/lifecycle/run.mjs${EVENTS === 1_000_000 ? '' : ` --events ${EVENTS}`}\`

| what | rate (events/s) | peak RSS (MiB) | note |
|---|---|---|---|
| plain ingestion, \`POST /v3/events\` (batches of 1,000, 4 in flight) | ${fmt(r.ingestRate)} | | the reference |
| \`odpkit import\` (batches of 1,000, one in flight, receive times kept) | ${fmt(r.importRate)} | ${fmt(r.importRssMiB)} (CLI) | ${(r.importRate / r.ingestRate).toFixed(2)}× plain ingestion |
| \`odpkit export\` from the server | ${fmt(r.exportRate)} | ${fmt(r.exportRssMiB)} (CLI); server peak ${fmt(r.serverPeakBefore)} → ${fmt(r.serverPeakAfter)} | keyset pages of 1,000 |
| \`odpkit export --db\` (read-only, gzip) | ${fmt(r.directRate)} | ${fmt(r.directRssMiB)} (CLI) | no server |

Ingestion latency (10 senders, batches of 10, ${LOAD_SECONDS} s) on a copy of the imported database, without and with
\`--retention 400d\` deleting the older half (${fmt(r.retentionDeleted)} events deleted during the measurement, in
transactions of 1,000; oldest kept after: ${r.retentionOldest}):

| | requests/s | p50 ms | p99 ms |
|---|---|---|---|
| no retention | ${fmt(r.latencyPlain.rps)} | ${fmt(r.latencyPlain.p50, 1)} | ${fmt(r.latencyPlain.p99, 1)} |
| retention running | ${fmt(r.latencyRetention.rps)} | ${fmt(r.latencyRetention.p50, 1)} | ${fmt(r.latencyRetention.p99, 1)} |`;

console.log(section);
if (WRITE) log(`wrote ${writeSection('lifecycle', section)}`);
