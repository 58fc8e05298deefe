// Runs the load generator (load-generator.mjs) in its own process and measures, over the measured seconds only,
// the CPU of given process groups, of the load generator and of everything else, and bytes written by one process.

import { fork } from 'node:child_process';
import { join } from 'node:path';
import { cpuBetween, cpuSnapshot, writtenBytes } from './machine.mjs';
import { libDir } from './paths.mjs';
import { fmt } from './stats.mjs';

/**
 * config: see load-generator.mjs. cpuGroups: { name: [pid…] | () => [pid…] } (the generator is added as 'load').
 * ioPid: a process whose disk writes over the measured seconds are reported as `writtenBytes`.
 * Resolves the generator's result plus { cpu: { name: %, load: %, other: % }, writtenBytes }.
 */
export function runLoad(config, { cpuGroups = {}, ioPid } = {}) {
  const child = fork(join(libDir, 'load-generator.mjs'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const groups = { ...cpuGroups, load: [child.pid] };
  return new Promise((resolveLoad, reject) => {
    let start;
    let written;
    let cpu;
    let bytes = Number.NaN;
    child.on('message', (m) => {
      if (m.phase === 'measure-start') {
        start = cpuSnapshot(groups);
        if (ioPid) written = writtenBytes(ioPid);
      }
      if (m.phase === 'measure-end') {
        cpu = cpuBetween(start, cpuSnapshot(groups));
        if (ioPid) bytes = writtenBytes(ioPid) - written;
      }
      if (m.result) resolveLoad({ ...m.result, cpu, writtenBytes: bytes });
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

/** One log line for a load run: rates, latencies, failures and the CPU of every measured group. */
export function describeLoad(r) {
  if (r.failed) return `FAILED ${r.failed}`;
  const events = Number.isFinite(r.eventsPerSecond) ? ` ${fmt(r.eventsPerSecond)} ev/s` : '';
  const cpu = Object.entries(r.cpu ?? {})
    .map(([name, pct]) => `${name}=${fmt(pct)}%`)
    .join(' ');
  return `${fmt(r.requestsPerSecond)} req/s${events} p50=${fmt(r.p50)} p99=${fmt(r.p99)} ms notOk=${r.notOk} ${JSON.stringify(r.statuses)} errors=${r.errors} ${cpu}`;
}
