// One benchmark at a time on this machine, and none while a test suite runs: both would take CPU and disk from the
// measurement. The lock is an flock(1) on LOCK_FILE held for the whole run of a benchmark (the same lock the
// documented `flock /tmp/odpkit-bench.lock …` commands take), so it is released by the kernel if the run dies.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const LOCK_FILE = '/tmp/odpkit-bench.lock';
const HELD = 'ODPKIT_BENCH_LOCK_HELD';
/** flock's exit code when the lock is taken (EX_TEMPFAIL): distinct from any exit code of a benchmark. */
export const LOCK_BUSY_EXIT = 75;

function ancestors(pid = process.pid) {
  const out = new Set();
  for (let p = pid; p > 1 && !out.has(p); ) {
    out.add(p);
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * Other processes that would disturb a measurement: a Vitest run, or a benchmark (bench/run.mjs or
 * bench/<name>/run.mjs) that is not this one or one of its parents. Returns [{ pid, command }].
 */
export function competingRuns() {
  const mine = ancestors();
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || mine.has(Number(d))) continue;
    let command;
    try {
      command = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    if (/\bvitest\b/.test(command) || /\bbench\/([\w-]+\/)?run\.mjs\b/.test(command)) {
      out.push({ pid: Number(d), command: command.slice(0, 160) });
    }
  }
  return out;
}

/**
 * Makes sure the calling benchmark runs under the lock: if this process does not hold it yet, the same command is
 * run again under `flock -n LOCK_FILE` and this process exits with its exit code. Refuses (exit LOCK_BUSY_EXIT) while
 * another benchmark holds the lock, and, for a measurement, while a test suite or another benchmark runs. A smoke run
 * (`measurement: false`: tiny sizes, nothing recorded) still takes the lock, so it cannot disturb a measurement, but
 * may run beside a test suite. Call it first thing in a run.mjs.
 */
export function runUnderBenchLock({ measurement = true } = {}) {
  if (process.env[HELD] === LOCK_FILE) return;
  if (measurement) refuseIfBusy();
  const r = spawnSync(
    'flock',
    ['-n', '-E', String(LOCK_BUSY_EXIT), LOCK_FILE, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [HELD]: LOCK_FILE } },
  );
  if (r.error) throw r.error;
  if (r.status === LOCK_BUSY_EXIT) console.error(`refusing to start: another benchmark holds ${LOCK_FILE}`);
  process.exit(r.status ?? 1);
}

/** Exits with LOCK_BUSY_EXIT, naming the processes, when competingRuns() finds any. */
export function refuseIfBusy() {
  const busy = competingRuns();
  if (busy.length === 0) return;
  console.error('refusing to start while these run (a test suite or another benchmark would skew the measurement):');
  for (const b of busy) console.error(`  ${b.pid} ${b.command}`);
  process.exit(LOCK_BUSY_EXIT);
}

/** Environment for a child benchmark started under flock by bench/run.mjs: it then does not take the lock again. */
export const lockHeldEnv = () => ({ ...process.env, [HELD]: LOCK_FILE });
