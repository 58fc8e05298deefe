// Durable-ingestion benchmark of @odpkit/server (issue 3), with its two ceilings measured in the same run.
//
//   node bench/ingest/run.mjs            full run (about 12–15 minutes), writes BENCHMARKS.md
//   node bench/ingest/run.mjs --quick    smoke run (about 2 minutes), prints only (add --write to write)
//
// Options: --reps N --warmup S --duration S --raw-duration S --prefill N --decay-conns 10,50
//          --no-write --write --profile (server child with --cpu-prof, into bench/.bench-tmp/profiles)
//          --server-head: measure packages/server as committed at git HEAD (exported and built with tsup into
//            this run's temp dir) instead of packages/server/dist, which reflects the working tree and can
//            be rebuilt by someone else during the run.
// Without --server-head, build the server first: npm run build -w @odpkit/server
//
// Every HTTP configuration: a fresh target process and a fresh DB file per rep, autocannon in its own
// process (load.mjs), warm-up then a measured run; CPU of the target and of the load generator from
// /proc/<pid>/stat over the measured run, and the CPU used by everything else on the machine.

import { execFileSync, execSync, fork } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const benchmarksFile = join(repoRoot, 'BENCHMARKS.md');
const START = '<!-- server-ingest:start -->';
const END = '<!-- server-ingest:end -->';

// ---------- options ----------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = flag('--quick');
const opts = {
  quick,
  reps: Number(option('--reps', quick ? 1 : 3)),
  warmup: Number(option('--warmup', quick ? 1 : 3)),
  duration: Number(option('--duration', quick ? 3 : 10)),
  rawWarmup: quick ? 0.5 : 1,
  rawDuration: Number(option('--raw-duration', quick ? 2 : 5)),
  prefill: Number(option('--prefill', quick ? 50_000 : 1_000_000)),
  decayConns: option('--decay-conns', '10,50').split(',').map(Number),
  write: quick ? flag('--write') : !flag('--no-write'),
  profile: flag('--profile'),
  serverHead: flag('--server-head'),
};
const BATCHES = [10, 500];
const CONNS = [10, 50];
let serverModule = process.env.ODPKIT_SERVER_MODULE || '@odpkit/server';

const tmpRoot = join(repoRoot, 'bench', '.bench-tmp', `ingest-${process.pid}`);
mkdirSync(tmpRoot, { recursive: true });
const profileDir = join(repoRoot, 'bench', '.bench-tmp', 'profiles');

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------- CPU accounting from /proc ----------

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
} catch {}

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of stat)
  } catch {
    return Number.NaN;
  }
}

function machineTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] || 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function writeBytes(pid) {
  try {
    const m = /write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function snapshot(pids) {
  return {
    at: process.hrtime.bigint(),
    machine: machineTicks(),
    pids: pids.map(processTicks),
    written: writeBytes(pids[0]),
  };
}

function cpuBetween(a, b) {
  const seconds = Number(b.at - a.at) / 1e9;
  const pct = (ticks) => (ticks / CLK_TCK / seconds) * 100;
  const per = a.pids.map((t, i) => pct(b.pids[i] - t));
  const busy = pct(b.machine.busy - a.machine.busy);
  return { per, other: Math.max(0, busy - per.reduce((x, y) => x + (Number.isNaN(y) ? 0 : y), 0)) };
}

// ---------- child processes ----------

function startTarget(kind, db) {
  const file = kind === 'fastify' ? join(here, 'ceiling-fastify.mjs') : join(here, 'server-child.mjs');
  const execArgv = [];
  if (opts.profile && kind === 'server') {
    mkdirSync(profileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  const child = fork(file, kind === 'fastify' ? [] : ['--db', db], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start within 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before it was ready`)));
    child.on('message', (m) => {
      if (m?.ready) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolveReady({ child, url: m.url });
      }
    });
  });
}

function stopTarget(child) {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null) return resolveStop();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.send('close');
  });
}

function runLoad(config, targetPid) {
  const child = fork(join(here, 'load.mjs'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolveLoad, reject) => {
    let start;
    child.on('message', (m) => {
      if (m.phase === 'measure-start') start = snapshot([targetPid, child.pid]);
      if (m.result) {
        const end = snapshot([targetPid, child.pid]);
        const cpu = cpuBetween(start, end);
        const events = m.result.ok * config.batch;
        resolveLoad({
          ...m.result,
          targetCpu: cpu.per[0],
          loadCpu: cpu.per[1],
          otherCpu: cpu.other,
          kibPerEvent: events > 0 ? (end.written - start.written) / 1024 / events : Number.NaN,
        });
      }
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

function runNode(file, args) {
  const out = execFileSync(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.toString().trim().split('\n').pop());
}

// ---------- DB files ----------

let dbCounter = 0;
function freshDbPath() {
  const dir = join(tmpRoot, `db-${++dbCounter}`);
  mkdirSync(dir, { recursive: true });
  return join(dir, 'odpkit.db');
}

// Copies page by page (4 KiB reads and writes), not with copyFileSync: on this kernel (6.18) a copy_file_range copy
// leaves the file in the page cache as large folios, and then every 4 KiB page a WAL checkpoint writes dirties and
// flushes a whole folio. Measured with the raw ceiling at 300k rows: 68 KiB written per event after copyFileSync,
// 12 KiB after a page-by-page copy or on the file SQLite wrote itself — the copy would slow the pre-filled rows down.
function copyFilePaged(from, to) {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'w');
  const page = Buffer.allocUnsafe(4096);
  try {
    for (let pos = 0, n = readSync(src, page, 0, 4096, 0); n > 0; pos += n, n = readSync(src, page, 0, 4096, pos)) {
      writeSync(dst, page, 0, n, pos);
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

function copyDb(templateDb) {
  const target = freshDbPath();
  const base = templateDb.split('/').pop();
  for (const f of readdirSync(dirname(templateDb))) {
    if (f.startsWith(base) && !f.endsWith('-shm'))
      copyFilePaged(join(dirname(templateDb), f), join(dirname(target), f.replace(base, 'odpkit.db')));
  }
  return target;
}

function dropDb(db) {
  rmSync(dirname(db), { recursive: true, force: true });
}

// ---------- measurements ----------

async function httpRep(kind, { batch, connections, db }) {
  const { child, url } = await startTarget(kind, db);
  try {
    return await runLoad({ url, batch, connections, warmup: opts.warmup, duration: opts.duration }, child.pid);
  } finally {
    await stopTarget(child);
  }
}

async function httpRepInto(config, rep, templateDb) {
  const { kind, store, batch, connections } = config;
  const db = templateDb ? copyDb(templateDb) : freshDbPath();
  let r;
  try {
    r = await httpRep(kind, { batch, connections, db });
  } catch (error) {
    r = { failed: String(error.message || error) };
  } finally {
    dropDb(db);
  }
  config.reps.push(r);
  log(
    `${kind} ${store} batch=${batch} conns=${connections} rep ${rep + 1}:`,
    r.failed
      ? `FAILED ${r.failed}`
      : `${Math.round(r.eventsPerSecond)} ev/s p99=${r.p99} ms non2xx=${r.non2xx} errors=${r.errors} cpu=${Math.round(r.targetCpu)}% other=${Math.round(r.otherCpu)}%`,
  );
}

function rawRepInto(config, rep, templateDb) {
  const db = templateDb ? copyDb(templateDb) : freshDbPath();
  try {
    config.reps.push(
      runNode(join(here, 'ceiling-sqlite.mjs'), [
        'measure',
        JSON.stringify({ db, batch: config.batch, warmup: opts.rawWarmup, duration: opts.rawDuration, seed: rep + 1 }),
      ]),
    );
  } finally {
    dropDb(db);
  }
  log(
    `raw sqlite ${config.store} batch=${config.batch} rep ${rep + 1}: ${Math.round(config.reps.at(-1).eventsPerSecond)} ev/s`,
  );
}

async function prefillServer(events) {
  const db = join(tmpRoot, 'server-template', 'odpkit.db');
  mkdirSync(dirname(db), { recursive: true });
  const started = process.hrtime.bigint();
  const { child, url } = await startTarget('server', db);
  let stored = 0;
  let non2xx = 0;
  try {
    for (let attempt = 0; stored < events && attempt < 5; attempt++) {
      const amount = Math.ceil((events - stored) / 500);
      const r = await runLoad({ url, batch: 500, connections: 10, amount, seed: 100 + attempt }, child.pid);
      stored += r.ok * 500;
      non2xx += r.non2xx + r.errors;
    }
  } finally {
    await stopTarget(child);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = readdirSync(dirname(db)).reduce((n, f) => n + statSync(join(dirname(db), f)).size, 0);
  return { db, stored, non2xx, seconds, bytes };
}

function prefillRaw(rows) {
  const db = join(tmpRoot, 'raw-template', 'raw.db');
  mkdirSync(dirname(db), { recursive: true });
  return { db, ...runNode(join(here, 'ceiling-sqlite.mjs'), ['prefill', JSON.stringify({ db, rows })]) };
}

function fsyncProbe(seconds = 2) {
  const file = join(tmpRoot, 'fsync-probe');
  const out = execSync(
    `${JSON.stringify(process.execPath)} -e "const fs=require('fs');const fd=fs.openSync('${file}','w');const b=Buffer.alloc(4096,1);let n=0;const end=Date.now()+${seconds * 1000};while(Date.now()<end){fs.writeSync(fd,b,0,4096,(n%100)*4096);fs.fdatasyncSync(fd);n++}console.log(n/${seconds})"`,
  );
  return Number(out.toString().trim());
}

function idleProbe(seconds = 2) {
  const a = machineTicks();
  execSync(`sleep ${seconds}`);
  const b = machineTicks();
  return ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length * 100;
}

// ---------- statistics and formatting ----------

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ok = (config) => config.reps.filter((r) => !r.failed);
const med = (config, key) => median(ok(config).map((r) => r[key]));
const range = (config, key) => {
  const v = ok(config).map((r) => r[key]);
  return v.length ? [Math.min(...v), Math.max(...v)] : [Number.NaN, Number.NaN];
};

function fmt(n) {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  if (n >= 100) return String(Math.round(n));
  return n.toFixed(1);
}
const withRange = (config, key) => {
  const [lo, hi] = range(config, key);
  return opts.reps > 1 ? `${fmt(med(config, key))} (${fmt(lo)}–${fmt(hi)})` : fmt(med(config, key));
};
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–');
const sum = (config, key) => config.reps.reduce((n, r) => n + (r.failed ? 0 : r[key]), 0);
const failures = (config) => config.reps.filter((r) => r.failed).length;

function render(results, meta) {
  const { http, raw, prefill, rawPrefill } = results;
  const find = (kind, store, batch, connections) =>
    http.find((c) => c.kind === kind && c.store === store && c.batch === batch && c.connections === connections);
  const findRaw = (store, batch) => raw.find((c) => c.store === store && c.batch === batch);
  const lines = [];
  const p = (s = '') => lines.push(s);
  const storeLabel = (s) => (s === 'empty' ? 'empty' : `${fmt(prefill?.stored ?? opts.prefill)} stored`);

  p('## Server ingestion');
  p();
  p(
    `Durable ingestion of \`@odpkit/server\` (\`POST /v3/events\`, 202 after commit, SQLite WAL, identity stitching on) against two ceilings measured in the same run: ` +
      '(a) a bare Fastify route that parses the same body and answers 202, (b) raw better-sqlite3 inserts of the same rows ' +
      '(UNIQUE index on the idempotence id as text, `synchronous=FULL`, WAL, one transaction per batch, no HTTP).',
  );
  p();
  p(`- Run: ${meta.date}${opts.quick ? ' — **--quick smoke run, not a measurement**' : ''}`);
  p(
    `- Machine: ${meta.nproc} cores (${meta.cpuModel}), Node ${meta.node}, ${meta.memGiB} GiB RAM; before the run: other processes used ${fmt(meta.idleBefore)}% CPU (of ${meta.nproc * 100}%), 4 KiB write+fdatasync ${fmt(meta.fsyncBefore)}/s (machine-ceilings.md measured 11.3k/s); during the measured seconds, other processes used ${fmt(meta.otherDuring)}% CPU (median over all HTTP reps). Shared machine: compare ratios within this run, not absolute numbers across runs.`,
  );
  p(
    `- Server: \`${serverModule.replace(repoRoot + '/', '')}\` built from ${meta.serverCommit}${meta.serverAvailable ? '' : ' — **not available, server rows skipped**'}${meta.serverDistChanged ? ' — **warning: packages/server/dist changed during the run**' : ''}`,
  );
  p(
    `- Method: per rep a fresh target process and a fresh DB file, autocannon 8 (programmatic API) in a separate process, ${opts.warmup} s warm-up then ${opts.duration} s measured, ${opts.reps} rep(s), median (min–max). ` +
      'Every request body is generated on the fly: typical ODP events (about 345 B each; ' +
      `${meta.bodyBytes[10]} B for 10 events, ${meta.bodyBytes[500]} B for 500), each with a fresh UUID v4 \`idempotence_id\` in \`data\`, identifiers (\`fs_user_id\`, \`email\` with mixed case, sometimes \`vuid\`) drawn with a skew from 200,000 customers so customers repeat and anonymous/email-only customers get merged into known ones (\`bench/ingest/events.mjs\`). ` +
      `Raw SQLite: ${opts.rawWarmup} s warm-up then ${opts.rawDuration} s of back-to-back batches in one process. ` +
      'Interleaved: for each batch size and connection count, rep 1 of the bare route, the server on an empty store and on the pre-filled store run back to back, then rep 2, …, so that the ratios compare measurements taken under the same background load.',
  );
  if (prefill) {
    p(
      `- Pre-fill for the decay rows: ${fmt(prefill.stored)} events sent through the server's own HTTP endpoint (batch 500, 10 connections, same generator, so customers, identifiers and merges accumulate as in production) into one template DB (${(prefill.bytes / 2 ** 20).toFixed(0)} MiB; took ${prefill.seconds.toFixed(0)} s, i.e. ${fmt(prefill.stored / prefill.seconds)} events/s averaged from 0 to ${fmt(prefill.stored)}; non-2xx+errors ${prefill.non2xx}), copied to a fresh file per rep (the copy is warm in the OS page cache, as a running server's file would be). Raw SQLite at ${fmt(rawPrefill?.rows)} rows: pre-filled with the same rows at synchronous=OFF, copied per rep.`,
    );
  }
  p(`- Reproduce: \`${meta.command}\``);
  p();
  p('### Throughput and latency');
  p();
  p(
    '| target | store | events/req | conns | req/s median (min–max) | events/s median (min–max) | p50 ms | p99 ms | non-2xx / errors (timeouts), sum of reps | target CPU % | disk KiB written / event | autocannon CPU % | other CPU % | ÷ bare Fastify | ÷ raw SQLite (same batch, same store) |',
  );
  p('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of http) {
    const name = c.kind === 'fastify' ? '(a) bare Fastify route' : '**odpkit server**';
    const fastify = find('fastify', 'empty', c.batch, c.connections);
    const rawC = findRaw(c.store, c.batch);
    const failed = failures(c) ? ` — ${failures(c)} rep(s) failed: ${c.reps.find((r) => r.failed).failed}` : '';
    p(
      `| ${name} | ${c.kind === 'fastify' ? '–' : storeLabel(c.store)} | ${c.batch} | ${c.connections} | ${withRange(c, 'requestsPerSecond')} | ${withRange(c, 'eventsPerSecond')} | ${fmt(med(c, 'p50'))} | ${fmt(med(c, 'p99'))} | ${sum(c, 'non2xx')} / ${sum(c, 'errors')} (${sum(c, 'timeouts')})${failed} | ${fmt(med(c, 'targetCpu'))} | ${c.kind === 'fastify' ? '–' : fmt(med(c, 'kibPerEvent'))} | ${fmt(med(c, 'loadCpu'))} | ${fmt(med(c, 'otherCpu'))} | ${c.kind === 'fastify' ? '1.00' : ratio(med(c, 'eventsPerSecond'), med(fastify, 'eventsPerSecond'))} | ${c.kind === 'fastify' ? '–' : ratio(med(c, 'eventsPerSecond'), med(rawC, 'eventsPerSecond'))} |`,
    );
  }
  p();
  p('### (b) Raw SQLite ceiling');
  p();
  p(
    '| rows before | events/txn | events/s median (min–max) | transactions/s | process CPU % | disk KiB written / event |',
  );
  p('|---|---|---|---|---|---|');
  for (const c of raw) {
    p(
      `| ${c.store === 'empty' ? '0' : fmt(rawPrefill?.rows)} | ${c.batch} | ${withRange(c, 'eventsPerSecond')} | ${fmt(med(c, 'transactionsPerSecond'))} | ${fmt(med(c, 'cpuPercent'))} | ${fmt(med(c, 'kibPerEvent'))} |`,
    );
  }
  p();
  p('### Goals (issue 3)');
  p();
  p('| goal | config | measured | target | met? |');
  p('|---|---|---|---|---|');
  const yes = (b) => (b === undefined ? '–' : b ? 'yes' : '**no**');
  if (!meta.serverAvailable) p('| all | – | server not available in this run | – | – |');
  for (const conns of CONNS) {
    const s = find('server', 'empty', 10, conns);
    if (!s) continue;
    const r = med(s, 'eventsPerSecond') / med(findRaw('empty', 10), 'eventsPerSecond');
    p(
      `| batch 10 ≥ raw per-batch insert rate | empty store, ${conns} conns | ${fmt(med(s, 'eventsPerSecond'))} vs ${fmt(med(findRaw('empty', 10), 'eventsPerSecond'))} events/s = ${r.toFixed(2)}× | ≥ 1.00× | ${yes(Number.isFinite(r) ? r >= 1 : undefined)} |`,
    );
  }
  for (const conns of CONNS) {
    const s = find('server', 'empty', 500, conns);
    if (!s) continue;
    const r = med(s, 'eventsPerSecond') / med(findRaw('empty', 500), 'eventsPerSecond');
    p(
      `| batch 500 ≥ half the raw insert rate | empty store, ${conns} conns | ${fmt(med(s, 'eventsPerSecond'))} vs ${fmt(med(findRaw('empty', 500), 'eventsPerSecond'))} events/s = ${r.toFixed(2)}× | ≥ 0.50× | ${yes(Number.isFinite(r) ? r >= 0.5 : undefined)} |`,
    );
  }
  for (const store of ['empty', 'prefilled']) {
    for (const conns of CONNS) {
      const s = find('server', store, 10, conns);
      if (!s) continue;
      const p99 = med(s, 'p99');
      p(
        `| p99 < 50 ms at batch 10 | ${storeLabel(store)}, ${conns} conns | ${fmt(p99)} ms | < 50 ms | ${yes(Number.isFinite(p99) ? p99 < 50 : undefined)} |`,
      );
    }
  }
  for (const batch of BATCHES) {
    for (const conns of opts.decayConns) {
      const a = find('server', 'empty', batch, conns);
      const b = find('server', 'prefilled', batch, conns);
      if (!a || !b) continue;
      const r = med(b, 'eventsPerSecond') / med(a, 'eventsPerSecond');
      p(
        `| rate within 30% from empty to ${fmt(prefill?.stored)} stored | batch ${batch}, ${conns} conns | ${fmt(med(a, 'eventsPerSecond'))} → ${fmt(med(b, 'eventsPerSecond'))} events/s = ${r.toFixed(2)}× | ≥ 0.70× | ${yes(Number.isFinite(r) ? r >= 0.7 : undefined)} |`,
      );
    }
  }
  for (const batch of BATCHES) {
    const a = findRaw('empty', batch);
    const b = findRaw('prefilled', batch);
    if (!a || !b) continue;
    p(
      `| (reference) raw SQLite decay | batch ${batch} | ${fmt(med(a, 'eventsPerSecond'))} → ${fmt(med(b, 'eventsPerSecond'))} events/s = ${ratio(med(b, 'eventsPerSecond'), med(a, 'eventsPerSecond'))}× | – | – |`,
    );
  }
  p();
  p(
    'For scale (not measured here): RudderStack publishes about 1,700 durable events/s on 2 cores. "other CPU %" is what the rest of the machine used during the measured seconds (of ' +
      `${meta.nproc * 100}%); high values mean the numbers of that row were taken on a busy machine.`,
  );
  return lines.join('\n');
}

function writeSection(markdown) {
  const block = `${START}\n${markdown}\n${END}`;
  const current = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, 'utf8') : '# Benchmarks\n';
  const s = current.indexOf(START);
  const e = current.indexOf(END);
  const next =
    s >= 0 && e > s
      ? current.slice(0, s) + block + current.slice(e + END.length)
      : current.replace(/\n*$/, '\n\n') + block + '\n';
  writeFileSync(benchmarksFile, next);
}

// ---------- main ----------

const order = (c) =>
  ['fastify', 'server'].indexOf(c.kind) * 1000 + (c.store === 'empty' ? 0 : 500) + c.batch + c.connections / 100;

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
  return join(pkg, 'dist', 'index.js');
}

function serverDistStamp() {
  try {
    const file = serverModule.startsWith('/') ? serverModule : join(repoRoot, 'packages', 'server', 'dist', 'index.js');
    return `${statSync(file).mtimeMs}:${statSync(file).size}`;
  } catch {
    return 'none';
  }
}

async function main() {
  const t0 = Date.now();
  let serverCommit = 'unknown';
  try {
    serverCommit = execSync('git log -1 --format="%h %cI" -- packages/server', { cwd: repoRoot }).toString().trim();
    if (!opts.serverHead) {
      const dirty = execSync('git status --porcelain -- packages/server/src', { cwd: repoRoot }).toString().trim();
      if (dirty) serverCommit += ' + uncommitted changes in packages/server/src';
    }
  } catch {}
  if (opts.serverHead) {
    serverModule = buildServerHead();
    process.env.ODPKIT_SERVER_MODULE = serverModule;
    serverCommit += ' (git HEAD, built by the harness)';
    log(`built the committed server into ${serverModule}`);
  }
  let serverAvailable = false;
  try {
    const m = await import(serverModule);
    serverAvailable = typeof m.startServer === 'function';
  } catch (error) {
    log(`cannot import ${serverModule}: ${error.message}`);
  }
  if (!serverAvailable) log(`${serverModule} has no startServer: measuring the ceilings only`);
  const { makeBodyGenerator, makeEventPool } = await import('./events.mjs');
  const pool = makeEventPool();
  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    node: process.version,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    command: `node bench/ingest/run.mjs${argv.length ? ' ' + argv.filter((a) => a !== '--write').join(' ') : ''}`,
    serverAvailable,
    serverCommit,
    bodyBytes: { 10: makeBodyGenerator(10, pool)().length, 500: makeBodyGenerator(500, pool)().length },
    idleBefore: idleProbe(),
    fsyncBefore: fsyncProbe(),
  };
  log(`machine before the run: other CPU ${meta.idleBefore.toFixed(0)}%, fdatasync ${meta.fsyncBefore}/s`);
  log(`options ${JSON.stringify(opts)}`);

  const results = { http: [], raw: [], prefill: null, rawPrefill: null };
  const distBefore = serverDistStamp();

  // Templates for the decay rows first, so that every comparison below can be interleaved rep by rep: the machine is
  // shared, and a ceiling, the server on an empty store and the server on a full store measured back to back see the
  // same background load, while measured minutes apart they do not.
  results.rawPrefill = prefillRaw(opts.prefill);
  log(`raw template: ${results.rawPrefill.rows} rows in ${results.rawPrefill.seconds.toFixed(1)} s`);
  if (serverAvailable) {
    try {
      results.prefill = await prefillServer(opts.prefill);
      log(`server template: ${results.prefill.stored} events in ${results.prefill.seconds.toFixed(1)} s`);
    } catch (error) {
      log(`server pre-fill failed: ${error.message}`);
    }
  }

  // Ceiling (b), raw SQLite: per rep, empty then pre-filled, for each batch size.
  for (const batch of BATCHES) {
    const empty = { kind: 'raw', store: 'empty', batch, reps: [] };
    const full = { kind: 'raw', store: 'prefilled', batch, reps: [] };
    results.raw.push(empty, full);
    for (let rep = 0; rep < opts.reps; rep++) {
      rawRepInto(empty, rep, null);
      rawRepInto(full, rep, results.rawPrefill.db);
    }
  }
  rmSync(dirname(results.rawPrefill.db), { recursive: true, force: true });

  // HTTP: per (batch, conns) and per rep, ceiling (a), then the server on an empty store, then on the pre-filled one.
  const http = (kind, store, batch, connections) => {
    const c = { kind, store, batch, connections, reps: [] };
    results.http.push(c);
    return c;
  };
  const configs = [];
  for (const batch of BATCHES) {
    for (const conns of CONNS) {
      const group = [[http('fastify', 'empty', batch, conns), null]];
      if (serverAvailable) group.push([http('server', 'empty', batch, conns), null]);
      if (results.prefill && opts.decayConns.includes(conns)) {
        group.push([http('server', 'prefilled', batch, conns), results.prefill.db]);
      }
      configs.push(group);
    }
  }
  for (const group of configs) {
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const [config, template] of group) await httpRepInto(config, rep, template);
    }
  }
  if (results.prefill) rmSync(dirname(results.prefill.db), { recursive: true, force: true });
  results.http.sort((a, b) => order(a) - order(b));
  meta.serverDistChanged = serverAvailable && serverDistStamp() !== distBefore;
  meta.otherDuring = median(results.http.flatMap((c) => c.reps.filter((r) => !r.failed).map((r) => r.otherCpu)));
  if (meta.serverDistChanged) log('WARNING: packages/server/dist changed during the run');

  const markdown = render(results, meta);
  const jsonOut = join(repoRoot, 'bench', '.bench-tmp', `ingest-results-${process.pid}.json`);
  writeFileSync(jsonOut, JSON.stringify({ meta, opts, results }, null, 2));
  console.log(markdown);
  if (opts.write) {
    writeSection(markdown);
    log(`wrote the "Server ingestion" section of ${benchmarksFile}`);
  }
  log(`raw results in ${jsonOut}; total ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  rmSync(tmpRoot, { recursive: true, force: true });
}

await main();
