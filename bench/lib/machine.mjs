// How loaded the machine is, from /proc: the load average (/proc/loadavg), CPU busy time of the whole machine
// (/proc/stat) and of given processes (/proc/<pid>/stat), and bytes a process wrote to disk (/proc/<pid>/io).
// The machines these benchmarks run on are shared, so every result says what else was running.

import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

export const NPROC = os.availableParallelism?.() ?? os.cpus().length;

/** Clock ticks per second of /proc's CPU times. */
export const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The 1, 5 and 15 minute load averages. */
export function loadAverage() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
  } catch {
    return os.loadavg();
  }
}

export const loadAverageText = () =>
  loadAverage()
    .map((x) => x.toFixed(2))
    .join(', ');

/** utime + stime of a process in clock ticks (NaN once it is gone). */
export function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of stat
  } catch {
    return Number.NaN;
  }
}

/** The machine's busy and total clock ticks over all CPUs (idle and iowait count as not busy). */
export function machineTicks() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - (v[4] || 0), total };
}

/** Bytes a process caused to be written to storage so far (NaN when unreadable). */
export function writtenBytes(pid) {
  try {
    const m = /write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
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

/** groups: { name: [pid…] | () => [pid…] } → each group's CPU ticks and the machine's, now. */
export function cpuSnapshot(groups) {
  const per = {};
  for (const [name, pids] of Object.entries(groups)) {
    per[name] = Object.fromEntries((typeof pids === 'function' ? pids() : pids).map((p) => [p, processTicks(p)]));
  }
  return { at: process.hrtime.bigint(), machine: machineTicks(), per };
}

/** CPU % of one core used by each group between two snapshots, and by everything else on the machine ('other'). */
export function cpuBetween(a, b) {
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

/** CPU % (of NPROC × 100) the whole machine used over the next `seconds`, while this process sleeps. */
export function busyProbe(seconds = 2) {
  const a = machineTicks();
  execSync(`sleep ${seconds}`);
  const b = machineTicks();
  return ((b.busy - a.busy) / (b.total - a.total)) * NPROC * 100;
}

/** One line for logs and result headers: load averages and what the machine used over the last 2 s. */
export function loadReport(seconds = 2) {
  const busy = busyProbe(seconds);
  return {
    loadavg: loadAverage(),
    busyPercent: busy,
    text: `load average ${loadAverageText()} (1, 5, 15 min); CPU busy ${busy.toFixed(0)}% of ${NPROC * 100}% over ${seconds} s`,
  };
}

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
    nproc: NPROC,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    node: process.version,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    pg,
    loadavg: loadAverageText(),
  };
}

/**
 * The machine and command of a run, read at its start: machineMeta(), the command that reproduces it (without
 * --write) and what other processes used over 2 s before it (`idleBefore`, CPU % of NPROC × 100).
 */
export function runMeta(name, argv) {
  const args = argv.filter((a) => a !== '--write');
  return {
    ...machineMeta(),
    command: `node bench/${name}/run.mjs${args.length ? ` ${args.join(' ')}` : ''}`,
    idleBefore: busyProbe(),
  };
}
