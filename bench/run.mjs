// Runs the benchmarks one after another, each under the benchmark lock (flock on /tmp/odpkit-bench.lock), printing
// the machine's load before each. Every benchmark writes its own section of BENCHMARKS.md on a full run.
//
//   npm run bench                       build, then every benchmark, full runs (see bench/README.md for how long)
//   npm run bench -- ingest segments    only these
//   npm run bench -- --list             what there is, with commands and run times
//   npm run bench -- --smoke [names]    tiny sizes and durations: checks that each runs end to end (prints only)
//   npm run bench -- --wait             before each benchmark, wait until no test suite or other benchmark runs
//
// Before each full benchmark it refuses (exit 75) while a test suite (Vitest) or another benchmark runs, unless
// --wait; and while another process holds the lock.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { competingRuns, LOCK_BUSY_EXIT, LOCK_FILE, lockHeldEnv, refuseIfBusy } from './lib/lock.mjs';
import { loadReport } from './lib/machine.mjs';
import { parseArgs, repoRoot } from './lib/paths.mjs';

/** Every benchmark: its script, full-run arguments, smoke-run arguments, and how long a full run takes. */
const BENCHMARKS = [
  {
    name: 'sdk-delivery',
    script: 'bench/sdk-delivery/run.mjs',
    full: [],
    smoke: ['--events', '2000', '--reps', '1', '--no-write'],
    time: 'about 3 min',
    what: 'events delivered by odpkit and three peer SDKs to one local sink: CPU per event, wall time, RSS, connections, losses',
  },
  {
    name: 'sdk-size',
    script: 'bench/sdk-size/run.mjs',
    full: [],
    smoke: [], // bundle sizes only: as cheap as a smoke run, and it prints its table without writing BENCHMARKS.md
    time: 'a few seconds',
    what: 'gzip size of a small app bundling each @odpkit/sdk entry, beside the official browser SDK and posthog-js',
  },
  {
    name: 'ingest',
    script: 'bench/ingest/run.mjs',
    full: [],
    smoke: ['--quick', '--prefill', '5000', '--duration', '1', '--warmup', '0.5', '--raw-duration', '0.5'],
    time: 'about 20 min (estimated from its parts)',
    what: 'durable ingestion of the server against a bare Fastify route and raw SQLite ceilings (as before, and tuned like the server)',
  },
  {
    name: 'segments',
    script: 'bench/segments/run.mjs',
    full: [],
    smoke: ['--quick', '--customers', '500', '--events', '5000', '--duration', '1', '--warmup', '0.5', '--no-profile'],
    time: 'about 5 min (+ 2 min to build the cached pre-fill)',
    what: 'GraphQL segment queries/s and latency on 1M stored events, ingestion with and without 20 segments',
  },
  {
    name: 'segment-state',
    script: 'bench/segment-state/run.mjs',
    full: [],
    smoke: ['--quick', '--duration', '1', '--warmup', '0.5', '--queries', '50', '--posts', '30'],
    time: 'about 20 min (estimated from its parts, not yet timed; + a few min once for the cached pre-fill)',
    what: 'segment answers from per-customer state: big vs small customer, another account while one is queried, ingestion with 20 segments vs none, state bytes, rebuild',
  },
  {
    name: 'postgres',
    script: 'bench/postgres/run.mjs',
    full: [],
    smoke: ['--quick', '--customers', '500', '--events', '5000', '--duration', '1', '--warmup', '0.5', '--no-profile'],
    time: 'about 12 min',
    what: 'ingestion on one and two nodes and segment queries on PostgreSQL, beside SQLite',
  },
  {
    name: 'lifecycle',
    script: 'bench/lifecycle/run.mjs',
    full: [],
    smoke: ['--events', '3000', '--load-seconds', '2', '--no-write'],
    time: 'about 15 min (estimated: generating and sending 1M events three times, 40 s of latency load)',
    what: 'odpkit import of 1M events against plain ingestion, export rate and peak memory, ingestion p99 with retention running',
  },
  {
    name: 'console',
    script: 'bench/console/run.mjs',
    full: [],
    smoke: ['--events', '2000'],
    time: 'about 10 min (seeding 1M events through POST /v3/events, then 7 page loads per page in Chromium)',
    what: 'the web console with 1M events stored: time until the overview is usable, the customer and segments pages',
  },
];

/** Waits (polling every 20 s) until no test suite or other benchmark runs, or refuses at once without `wait`. */
async function quietOrRefuse(wait) {
  while (wait && competingRuns().length > 0) {
    console.error(`   waiting: ${competingRuns().length} test or benchmark process(es) running`);
    await new Promise((r) => setTimeout(r, 20_000));
  }
  refuseIfBusy();
}

async function main() {
  const { argv, flag } = parseArgs();
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const chosen = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
  const smoke = flag('--smoke');
  if (flag('--list')) {
    for (const b of chosen) {
      const there = existsSync(join(repoRoot, b.script)) ? '' : ' (not in this checkout)';
      console.log(`${b.name.padEnd(14)} ${b.time.padEnd(50)} node ${[b.script, ...b.full].join(' ')}${there}`);
      console.log(`${''.padEnd(14)} ${b.what}`);
    }
    return;
  }
  const failed = [];
  for (const b of chosen) {
    if (!smoke) await quietOrRefuse(flag('--wait')); // smoke runs record nothing; each still takes the lock
    const file = join(repoRoot, b.script);
    if (!existsSync(file)) {
      console.error(`\n== ${b.name}: ${b.script} is not in this checkout, skipped`);
      continue;
    }
    if (smoke && b.smoke === null) {
      console.error(`\n== ${b.name}: no smoke options known to bench/run.mjs, skipped (run ${b.script} by hand)`);
      continue;
    }
    const args = smoke ? b.smoke : b.full;
    console.error(`\n== ${b.name}: node ${[b.script, ...args].join(' ')}`);
    console.error(`   machine before: ${loadReport().text}`);
    const started = Date.now();
    const r = spawnSync('flock', ['-n', '-E', String(LOCK_BUSY_EXIT), LOCK_FILE, process.execPath, file, ...args], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: lockHeldEnv(),
    });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    if (r.status === LOCK_BUSY_EXIT) {
      console.error(`== ${b.name}: another process holds ${LOCK_FILE}; stopping`);
      process.exit(LOCK_BUSY_EXIT);
    }
    console.error(
      `== ${b.name}: exit ${r.status ?? r.signal} after ${minutes} min; machine after: ${loadReport().text}`,
    );
    if (r.status !== 0) failed.push(b.name);
  }
  if (failed.length) {
    console.error(`\nfailed: ${failed.join(', ')}`);
    process.exit(1);
  }
}

await main();
