// Harness helpers shared by bench/segments/run.mjs and bench/postgres/run.mjs: child processes (server nodes, load
// generator, pre-fill), CPU accounting from /proc, CPU-profile summaries, statistics, formatting, and writing one
// section of BENCHMARKS.md.

import { execFileSync, execSync, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const benchTmp = join(repoRoot, 'bench', '.bench-tmp');
export const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------- options ----------

export function parseArgs(argv = process.argv.slice(2)) {
  const flag = (name) => argv.includes(name);
  const option = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  return { argv, flag, option };
}

// ---------- the server module under test ----------

/**
 * Copies packages/server/dist/*.js into bench/.bench-tmp so that a rebuild by someone else
 * during the run cannot change the server between reps. Returns { module, commit }.
 */
export function snapshotServer(tag) {
  const dist = join(repoRoot, 'packages', 'server', 'dist', 'index.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run npm run build -w @odpkit/server`);
  const dir = join(benchTmp, `${tag}-server-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // The whole dist folder: the bundle may be split into chunks.
  for (const f of readdirSync(dirname(dist))) if (f.endsWith('.js')) copyFileSync(join(dirname(dist), f), join(dir, f));
  let commit = 'unknown';
  try {
    commit = execSync('git log -1 --format="%h %cI" -- packages/server', { cwd: repoRoot }).toString().trim();
    const dirty = execSync('git status --porcelain -- packages/server/src', { cwd: repoRoot }).toString().trim();
    if (dirty) commit += ' + uncommitted changes in packages/server/src';
    commit += `; dist built ${new Date(statSync(dist).mtimeMs).toISOString().replace(/\.\d+Z$/, 'Z')}`;
  } catch {}
  const module = join(dir, 'index.js');
  process.env.ODPKIT_SERVER_MODULE = module;
  return { module, dir, commit };
}

export function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 10);
}

// ---------- CPU accounting from /proc ----------

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
} catch {}

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

function machineTicks() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] || 0);
  return { busy: v.slice(0, 8).reduce((a, b) => a + b, 0) - idle, total: v.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** Pids of every process whose command name is `comm` (e.g. all PostgreSQL backends). */
export function pidsByComm(comm) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) out.push(Number(d));
    } catch {}
  }
  return out;
}

/** groups: { name: () => [pid…] } → a snapshot of each group's CPU ticks and the machine's. */
function snapshot(groups) {
  const per = {};
  for (const [name, pids] of Object.entries(groups)) {
    per[name] = Object.fromEntries((typeof pids === 'function' ? pids() : pids).map((p) => [p, processTicks(p)]));
  }
  return { at: process.hrtime.bigint(), machine: machineTicks(), per };
}

/** CPU % of a core per group between two snapshots (pids present in both), and of everything else. */
function cpuBetween(a, b) {
  const seconds = Number(b.at - a.at) / 1e9;
  const pct = (ticks) => (ticks / CLK_TCK / seconds) * 100;
  const out = {};
  let mine = 0;
  for (const name of Object.keys(a.per)) {
    let ticks = 0;
    for (const [pid, t] of Object.entries(a.per[name])) {
      const t2 = b.per[name][pid] ?? processTicks(pid);
      if (Number.isFinite(t) && Number.isFinite(t2)) ticks += t2 - t;
    }
    out[name] = pct(ticks);
    mine += out[name];
  }
  out.other = Math.max(0, pct(b.machine.busy - a.machine.busy) - mine);
  return out;
}

export function idleProbe(seconds = 2) {
  const a = machineTicks();
  execSync(`sleep ${seconds}`);
  const b = machineTicks();
  return ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length * 100;
}

// ---------- child processes ----------

/** Starts one server node. options: { db, segmentsFile?, profileDir? } → { child, url }. */
export function startServerChild(options) {
  const execArgv = ['--no-deprecation'];
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
  }
  const child = fork(
    join(here, 'server-child.mjs'),
    [JSON.stringify({ db: options.db, segmentsFile: options.segmentsFile })],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv },
  );
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
    child.on('message', (m) => {
      if (m?.ready) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolveReady({ child, url: m.url });
      }
    });
  });
}

export function stopServerChild(child) {
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

/**
 * Runs load.mjs in its own process. cpuGroups: { name: [pid…] | () => [pid…] } measured over the measured seconds
 * (the load generator itself is added as 'load').
 */
export function runLoad(config, cpuGroups = {}) {
  const child = fork(join(here, 'load.mjs'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const groups = { ...cpuGroups, load: [child.pid] };
  return new Promise((resolveLoad, reject) => {
    let start;
    let cpu;
    child.on('message', (m) => {
      if (m.phase === 'measure-start') start = snapshot(groups);
      if (m.phase === 'measure-end') cpu = cpuBetween(start, snapshot(groups));
      if (m.result) resolveLoad({ ...m.result, cpu });
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

/** Runs a node script to completion and returns the JSON of its last stdout line. */
export function runNodeJson(file, args, env = process.env) {
  const out = execFileSync(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
    maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out.toString().trim().split('\n').pop());
}

// ---------- SQLite files ----------

/** Copies a SQLite DB (main file and WAL, not the -shm) to `target`. */
export function copyDb(templateDb, target) {
  mkdirSync(dirname(target), { recursive: true });
  const base = templateDb.split('/').pop();
  const tbase = target.split('/').pop();
  for (const f of readdirSync(dirname(templateDb))) {
    if (f.startsWith(base) && !f.endsWith('-shm')) {
      copyFileSync(join(dirname(templateDb), f), join(dirname(target), f.replace(base, tbase)));
    }
  }
  return target;
}

export function dbBytes(db) {
  const base = db.split('/').pop();
  return readdirSync(dirname(db))
    .filter((f) => f.startsWith(base))
    .reduce((n, f) => n + statSync(join(dirname(db), f)).size, 0);
}

export const rmDir = (dir) => rmSync(dir, { recursive: true, force: true });

// ---------- CPU profiles ----------

/** Self-time shares of a .cpuprofile: top frames (of non-idle samples) and the share of GC. */
export function summariseProfile(file, top = 12) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    self.set(n, (self.get(n) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const frames = new Map();
  let busy = 0;
  for (const [n, us] of self) {
    const f = n.callFrame;
    if (f.functionName === '(idle)') continue;
    busy += us;
    const file = !f.url
      ? ''
      : /-server-\d+\/[^/]+\.js$/.test(f.url)
        ? `server bundle/${f.url.split('/').pop()}`
        : f.url
            .replace(/^file:\/\//, '')
            .replace(/.*node_modules\//, '')
            .replace(`${repoRoot}/`, '');
    const key =
      `${f.functionName || '(anonymous)'} ${file ? `${file.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : ''}`.trim();
    frames.set(key, (frames.get(key) ?? 0) + us);
  }
  const total = p.endTime - p.startTime;
  const list = [...frames.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  // Coarse buckets by origin.
  const buckets = new Map();
  for (const [n, us] of self) {
    const f = n.callFrame;
    if (f.functionName === '(idle)') continue;
    const u = f.url || '';
    const b =
      /^\(/.test(f.functionName) && !u
        ? f.functionName
        : /better-sqlite3/.test(u)
          ? 'better-sqlite3'
          : /node_modules\/pg/.test(u)
            ? 'pg (driver)'
            : /node_modules\/graphql/.test(u)
              ? 'graphql-js'
              : /node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify)/.test(u)
                ? 'fastify'
                : /node_modules/.test(u)
                  ? 'other node_modules'
                  : /-server-\d+\/[^/]+\.js|packages\/server/.test(u)
                    ? 'odpkit server code'
                    : u.startsWith('node:')
                      ? 'node core JS'
                      : !u
                        ? 'native C++ (socket writes, SQLite statements, JSON.parse, …)'
                        : 'other';
    buckets.set(b, (buckets.get(b) ?? 0) + us);
  }
  return {
    seconds: total / 1e6,
    busyShare: busy / total,
    top: list.map(([k, us]) => ({ frame: k, share: us / busy })),
    buckets: [...buckets.entries()].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ bucket: k, share: us / busy })),
  };
}

// ---------- statistics and formatting ----------

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function fmt(n) {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 100) return String(Math.round(n));
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Over the successful reps: "median (min–max)" of a key (or just the value with one rep). */
export function stat(reps, key) {
  const v = reps.filter((r) => !r.failed).map((r) => (typeof key === 'function' ? key(r) : r[key]));
  const m = median(v);
  if (v.length <= 1) return { m, text: fmt(m) };
  return { m, text: `${fmt(m)} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})` };
}

export const sumOf = (reps, key) => reps.reduce((n, r) => n + (r.failed ? 0 : (r[key] ?? 0)), 0);

// ---------- machine ----------

export function machineMeta() {
  let pg = 'not reachable';
  try {
    pg = execSync('psql -h 127.0.0.1 -U postgres -d test -Atc "show server_version"', {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {}
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    node: process.version,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    pg,
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(', '),
  };
}

// ---------- BENCHMARKS.md ----------

/** Replaces only the text between the markers (re-reading the file right before writing). */
export function writeSection(name, markdown) {
  const file = join(repoRoot, 'BENCHMARKS.md');
  const START = `<!-- ${name}:start -->`;
  const END = `<!-- ${name}:end -->`;
  const block = `${START}\n${markdown}\n${END}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const s = current.indexOf(START);
  const e = current.indexOf(END);
  const next =
    s >= 0 && e > s
      ? current.slice(0, s) + block + current.slice(e + END.length)
      : `${current.replace(/\n*$/, '\n\n')}${block}\n`;
  writeFileSync(file, next);
  return file;
}
