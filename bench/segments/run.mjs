// Segments benchmark of @odpkit/server: GraphQL segment queries per second and latency with 100,000
// customers, 1,000,000 events and 20 segment definitions stored, and durable ingestion with those 20 segments
// defined vs none.
//
//   node bench/segments/run.mjs            full run (about 5 minutes; + 2 to build the cached 1M pre-fill), writes
//                                          the segments section of BENCHMARKS.md; takes the benchmark lock itself
//   node bench/segments/run.mjs --quick    smoke run, prints only (add --write to write)
//
// Options: --reps N --warmup S --duration S --conns N --customers N --events N --unknown-share X
//          --no-profile (full runs add one CPU-profiled query rep, not counted in the table) --profile
//          --write / --no-write
// Build the server first: npm run build -w @odpkit/server (the harness copies packages/server/dist at start).
//
// Every configuration: per rep a fresh copy of the pre-filled DB and a fresh server process (bench/lib/server.mjs),
// autocannon in a separate process (bench/lib/load-generator.mjs), warm-up then a measured run; CPU of the server and of the load
// generator from /proc over the measured seconds, and what the rest of the machine used meanwhile.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphqlLoad } from '../lib/graphql-requests.mjs';
import { describeLoad, runLoad } from '../lib/load.mjs';
import { runMeta } from '../lib/machine.mjs';
import { publish } from '../lib/markdown.mjs';
import { benchTmp, libDir, log } from '../lib/paths.mjs';
import { profileText, summariseProfile } from '../lib/profile.mjs';
import { benchOptions } from '../lib/run-options.mjs';
import { GRAPHQL_QUERY, SEGMENTS, SUBSET, SUBSET_WINDOWED } from '../lib/segments-data.mjs';
import { cachedTemplate } from '../lib/segments-template.mjs';
import { snapshotServer, startServerChild, stopServerChild, waitForSegmentsReady } from '../lib/server.mjs';
import { copyDb, rmDir } from '../lib/sqlite-files.mjs';
import { fmt, median, pooledPercentiles, stat, sumOf } from '../lib/stats.mjs';

const here = import.meta.dirname;
const { argv, option, common, segmentsData } = benchOptions();
const quick = common.quick;
const opts = { ...common, ...segmentsData, unknownShare: Number(option('--unknown-share', 0.05)) };

const runDir = join(benchTmp, `segments-${process.pid}`);
mkdirSync(runDir, { recursive: true });
const segmentsFile = join(runDir, 'segments.json');
writeFileSync(segmentsFile, JSON.stringify(SEGMENTS, null, 2));

// ---------- one rep ----------

let counter = 0;
async function rep({ template, withSegments, load, profileDir, afterLoad }) {
  const db = copyDb(template, join(runDir, `db-${++counter}`, 'odpkit.db'));
  let r;
  try {
    const { child, url } = await startServerChild({
      db,
      segmentsFile: withSegments ? segmentsFile : undefined,
      profileDir,
    });
    try {
      // The definitions are applied at start and their state is built over the stored history in the background;
      // measure the steady state, after every segment is ready (the build time is reported).
      const buildSeconds = withSegments ? await waitForSegmentsReady(url) : null;
      r = await runLoad({ ...load, targets: [url] }, { cpuGroups: { server: [child.pid] } });
      if (buildSeconds !== null) r.buildSeconds = buildSeconds;
      if (afterLoad) r.extra = await afterLoad(url);
    } finally {
      await stopServerChild(child);
    }
  } catch (error) {
    r = { failed: String(error?.message || error) };
  } finally {
    rmDir(join(runDir, `db-${counter}`));
  }
  return r;
}

const describe = describeLoad;

/** Membership shares over a sample of customers for all 20 segments, and the answer for an unknown customer. */
async function sanity(url) {
  const names = SEGMENTS.map((s) => s.name);
  const qualified = Object.fromEntries(names.map((n) => [n, 0]));
  const sample = quick ? 100 : 400;
  let answered = 0;
  const post = async (userId, audiences) => {
    const res = await fetch(`${url}/v3/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
      body: JSON.stringify({ query: GRAPHQL_QUERY, variables: { userId, audiences } }),
    });
    return { status: res.status, body: await res.json() };
  };
  for (let i = 0; i < sample; i++) {
    const c = Math.floor(((i * 0.6180339887498949) % 1) * opts.customers); // spread over ids and residues
    const { body } = await post(`user-${String(c).padStart(7, '0')}`, names);
    const edges = body?.data?.customer?.audiences?.edges;
    if (!edges) continue;
    answered++;
    for (const e of edges) if (e.node.state === 'qualified') qualified[e.node.name]++;
  }
  const unknown = await post('nobody-at-all', SUBSET);
  const known = await post('user-0000001', SUBSET);
  return { sample, answered, qualified, unknown, known };
}

// ---------- rendering ----------

function render(results, meta) {
  const { queries, ingest, template, server, sanity: s, profile } = results;
  const lines = [];
  const p = (x = '') => lines.push(x);
  const q = stat(queries, 'requestsPerSecond');
  const q99 = { m: pooledPercentiles(queries.filter((r) => !r.failed).map((r) => r.latencies)).p99 };
  const none = ingest.none;
  const withS = ingest.with;
  const evNone = stat(none, 'eventsPerSecond');
  const evWith = stat(withS, 'eventsPerSecond');
  const slowdown = 1 - evWith.m / evNone.m;

  p('## Segments (GraphQL segment queries, ingestion with segments defined)');
  p();
  p(`- Run: ${meta.date}${opts.quick ? ' — **--quick smoke run, not a measurement**' : ''}`);
  p(
    `- Machine: ${meta.nproc} cores (${meta.cpuModel}), Node ${meta.node}, ${meta.memGiB} GiB RAM, PostgreSQL ${meta.pg} (not used here); load average at start ${meta.loadavg} (1, 5, 15 min); other processes used ${fmt(meta.idleBefore)}% CPU (of ${meta.nproc * 100}%) in the 2 s before the run, and ${fmt(meta.otherDuring)}% (median) during the measured seconds. Shared machine: read ratios within this run.`,
  );
  p(`- Server: \`packages/server/dist\` (copied at start) from ${server.commit}`);
  p(
    `- Data: ${fmt(template.customers)} customers, ${fmt(template.events)} events over the last 120 days, SQLite file ${(template.bytes / 2 ** 20).toFixed(0)} MiB. Pre-filled through the server's own ingestion endpoint (in process: \`startServer\` with its clock set to each batch's time, one \`POST /v3/events\` of 100 events at a time, validation, stitching and dedup as in production, \`bench/lib/segments-prefill.mjs\`) ${template.cached ? `— taken from the cache \`bench/.bench-tmp/segments-cache/${template.key}\`, built ${new Date(template.now).toISOString().slice(0, 16)}Z` : ''} in ${template.seconds.toFixed(0)} s (${fmt(template.eventsPerSecond)} events/s); copied to a fresh file per rep. Every event has the customer's fs_user_id, sometimes its email (2 customers in 3 have one) and vuid (1 in 2); customers picked with a skew (a few have thousands of events, the median about 7); actions pageview, add_to_cart, purchase, client_initialized, search, signup, identified with varied data (\`bench/lib/segments-data.mjs\`).`,
  );
  p(
    `- Segments: 20 definitions (\`SEGMENTS\` in \`bench/lib/segments-data.mjs\`, applied with the server's \`segmentsFile\` at start, and measured once their state is built over the stored history): identifier conditions, event/action, \`where\` (eq, in, exists, gte/lt ranges, string ordering), counts (gte 2, gte 10, lte 2), windows 1d, 2d, 3d, 7d, 14d, 30d, 60d, 90d and none, and/or/not. Queried subset (5): ${SUBSET.map((x) => `\`${x}\``).join(', ')} — \`lapsed_buyer\` has an unwindowed event condition (answered from a capped counter kept at ingestion, not from the history).`,
  );
  p(
    `- Method: per rep a fresh DB copy and a fresh server process, autocannon 8 in a separate process (${opts.conns} connections, pipelining 1), ${opts.warmup} s warm-up then ${opts.duration} s measured, ${opts.reps} rep(s), median (min–max); latencies from autocannon's per-response hrtime, all requests of the measured seconds. Queries: \`POST /v3/graphql\` with the SDK's variables form and \`x-api-key\`, \`userId\` a uniformly random existing customer, or (${(opts.unknownShare * 100).toFixed(0)}%) an unknown one (a 200 with an INVALID_IDENTIFIER error, as ODP answers). Ingestion: \`POST /v3/events\`, batch 10, ${opts.conns} connections, bodies from \`bench/lib/events.mjs\` (fresh UUID idempotence ids, identifiers of 200,000 customers, half of whom exist in the pre-filled store, with merges), on the pre-filled store, reps interleaved: none, with, none, with, …`,
  );
  p(
    `- Reference row: the same query load with a subset whose event conditions all have windows of 30 days or less (${SUBSET_WINDOWED.map((x) => `\`${x}\``).join(', ')}), so the server reads only the last 30 days of a customer's history; interleaved rep by rep with the main row. The goal applies to the main row.`,
  );
  p(`- Reproduce: \`npm run build -w @odpkit/server && ${meta.command}\``);
  p();
  p(
    '| measurement | segments defined | req/s median (min–max) | events/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx / errors (timeouts) | server CPU % | autocannon CPU % | other CPU % |',
  );
  p('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const row = (label, defined, reps) => {
    const fail = reps.filter((r) => r.failed).length;
    p(
      `| ${label} | ${defined} | ${stat(reps, 'requestsPerSecond').text} | ${label.startsWith('GraphQL') ? '–' : stat(reps, 'eventsPerSecond').text} | ${stat(reps, 'p50').text} | ${stat(reps, 'p90').text} | ${stat(reps, 'p99').text} | ${stat(reps, 'max').text} | ${sumOf(reps, 'notOk')} / ${sumOf(reps, 'errors')} (${sumOf(reps, 'timeouts')})${fail ? ` — ${fail} rep(s) failed: ${reps.find((r) => r.failed).failed}` : ''} | ${stat(reps, (r) => r.cpu.server).text} | ${stat(reps, (r) => r.cpu.load).text} | ${stat(reps, (r) => r.cpu.other).text} |`,
    );
  };
  row('GraphQL, 5-segment subset', '20', queries);
  row('GraphQL, windowed-only subset (reference)', '20', results.windowed);
  row('ingestion, batch 10', 'none', none);
  row('ingestion, batch 10', '20', withS);
  p();
  p('Goals (at least 10,000 queries/s with p99 under 5 ms; 20 segments defined slow ingestion by less than 20%):');
  p();
  p('| goal | measured | met? |');
  p('|---|---|---|');
  const yes = (b) => (b ? 'yes' : '**no**');
  p(
    `| ≥ 10,000 GraphQL queries/s | ${fmt(q.m)} queries/s (${((q.m / 10000) * 100).toFixed(0)}% of the goal) | ${yes(q.m >= 10000)} |`,
  );
  p(`| p99 < 5 ms (over every query of every rep) | ${fmt(q99.m)} ms | ${yes(q99.m < 5)} |`);
  p(
    `| ingestion slowed < 20% by 20 segments | ${fmt(evNone.m)} → ${fmt(evWith.m)} events/s (${slowdown >= 0 ? `${(slowdown * 100).toFixed(1)}% slower` : `${(-slowdown * 100).toFixed(1)}% faster`}) | ${yes(slowdown < 0.2)} |`,
  );
  if (s) {
    p();
    p(
      `Membership over ${s.answered} of ${s.sample} customers spread over the ids (golden-ratio steps) (checked once after rep 1 with all 20 names; shows the definitions select something): ` +
        SEGMENTS.map((x) => `${x.name} ${((s.qualified[x.name] / Math.max(1, s.answered)) * 100).toFixed(0)}%`).join(
          ', ',
        ) +
        `. Unknown customer: HTTP ${s.unknown.status}, \`${JSON.stringify(s.unknown.body).slice(0, 140)}…\``,
    );
  }
  if (profile) {
    p();
    p(
      `Where the server's time goes during the query load (one extra rep, not in the table, server under \`node --cpu-prof\`; ${fmt(profile.load.requestsPerSecond)} queries/s while profiled; self time as a share of the non-idle samples, ${(profile.summary.busyShare * 100).toFixed(0)}% of the ${profile.summary.seconds.toFixed(0)} s profiled were non-idle): ${profileText(profile.summary)}.`,
    );
  }
  p();
  p(`Reading: ${meta.reading ?? autoReading(results, meta)}`);
  return lines.join('\n');
}

/** A reading generated from the measured numbers (CPU cost per request, what a full core would allow, profile). */
function autoReading(results, meta) {
  const { queries, ingest, profile } = results;
  const rps = stat(queries, 'requestsPerSecond').m;
  const cpu = stat(queries, (r) => r.cpu.server).m;
  const usPerQuery = (cpu / 100 / rps) * 1e6;
  const parts = [];
  parts.push(
    `the server spent about ${fmt(usPerQuery)} µs of CPU per query (${fmt(cpu)}% of a core at ${fmt(rps)} queries/s), so one fully available core would give at most about ${fmt(1e6 / usPerQuery)} queries/s; the goal of 10,000/s needs ≤ 100 µs per query on one core (or two cores' worth of 200 µs).`,
  );
  if (cpu < 80) {
    parts.push(
      `The server process did not get a full core (${fmt(cpu)}%): autocannon used ${fmt(stat(queries, (r) => r.cpu.load).m)}% and other processes ${fmt(meta.otherDuring)}% of the ${meta.nproc * 100}% available, so the measured rate is also bounded by the shared machine.`,
    );
  }
  const wq = stat(results.windowed, 'requestsPerSecond').m;
  parts.push(
    `With only windowed conditions (≤ 30d) in the subset the rate was ${fmt(wq)} queries/s (${(wq / rps).toFixed(2)}× the main row, p99 ${fmt(stat(results.windowed, 'p99').m)} ms); both read the same one state row per customer.`,
  );
  const builds = [...queries, ...ingest.with].map((r) => r.buildSeconds).filter((x) => typeof x === 'number');
  if (builds.length > 0)
    parts.push(
      `Building the 20 segments' state over the 1M stored events after each start took ${fmt(median(builds))} s (median of ${builds.length}); the loads started after it.`,
    );
  if (profile) {
    const b = profile.summary.buckets.slice(0, 3).map((x) => `${x.bucket} ${(x.share * 100).toFixed(0)}%`);
    const top = profile.summary.top.slice(0, 3).map((x) => `\`${x.frame}\` ${(x.share * 100).toFixed(0)}%`);
    parts.push(
      `In the profile the server's busy time went to ${b.join(', ')}; top frames ${top.join(', ')}. Native calls are counted in their JS caller's self time: \`customerEvents\` (the SQLite store's history read) includes running the range-scan statement and \`JSON.parse\` of every event's identifiers and data; \`writev\` is the socket write of each response.`,
    );
  }
  const none = ingest.none.filter((r) => !r.failed).map((r) => r.eventsPerSecond);
  const withS = ingest.with.filter((r) => !r.failed).map((r) => r.eventsPerSecond);
  const a = median(none);
  const b = median(withS);
  const overlap = Math.max(...none) >= Math.min(...withS) && Math.max(...withS) >= Math.min(...none);
  parts.push(
    `Ingestion: ${fmt(a)} vs ${fmt(b)} events/s (median) without and with the 20 definitions; the rep ranges ${overlap ? "overlap, so the difference is within this shared machine's run-to-run noise" : 'do not overlap'}. Segment state is kept at ingestion (in the same transaction as the events), and each rep waited until the 20 segments' state was built over the stored history before its load; the ingestion rate itself (on a 1M-event store, on a machine where other processes took ${fmt(meta.otherDuring)}% CPU) is bench/ingest's subject.`,
  );
  return parts.join(' ');
}

// ---------- main ----------

async function main() {
  const t0 = Date.now();
  const meta = runMeta('segments', argv);
  log(`load average at start ${meta.loadavg}; other CPU ${fmt(meta.idleBefore)}%; options ${JSON.stringify(opts)}`);
  const server = snapshotServer('segments');
  const template = cachedTemplate(server, opts);

  const results = { template, server, queries: [], windowed: [], ingest: { none: [], with: [] } };
  const queryLoad = graphqlLoad(opts, SUBSET);
  for (let i = 0; i < opts.reps; i++) {
    const r = await rep({
      template: template.db,
      withSegments: true,
      load: { ...queryLoad, seed: i + 1 },
      afterLoad: i === 0 ? sanity : undefined,
    });
    if (r.extra) results.sanity = r.extra;
    results.queries.push(r);
    log(`queries rep ${i + 1}: ${describe(r)}`);
    const w = await rep({
      template: template.db,
      withSegments: true,
      load: { ...queryLoad, subset: SUBSET_WINDOWED, seed: i + 1 },
    });
    results.windowed.push(w);
    log(`queries (windowed subset) rep ${i + 1}: ${describe(w)}`);
  }
  const ingestLoad = {
    requests: join(libDir, 'events.mjs'),
    okStatus: 202,
    batch: 10,
    connections: opts.conns,
    warmup: opts.warmup,
    duration: opts.duration,
  };
  for (let i = 0; i < opts.reps; i++) {
    for (const which of ['none', 'with']) {
      const r = await rep({
        template: template.db,
        withSegments: which === 'with',
        load: { ...ingestLoad, seed: i + 1 },
      });
      results.ingest[which].push(r);
      log(`ingestion ${which} rep ${i + 1}: ${describe(r)}`);
    }
  }
  if (opts.profile) {
    const profileDir = join(runDir, 'profile');
    const r = await rep({
      template: template.db,
      withSegments: true,
      load: { ...queryLoad, seed: 99, duration: Math.min(opts.duration, 8) },
      profileDir,
    });
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file && !r.failed) {
      results.profile = { load: r, summary: summariseProfile(join(profileDir, file), 15) };
      log(`profile: ${JSON.stringify(results.profile.summary.buckets)}`);
      log(`profile top: ${JSON.stringify(results.profile.summary.top)}`);
    }
  }
  meta.otherDuring = median(
    [...results.queries, ...results.windowed, ...results.ingest.none, ...results.ingest.with]
      .filter((r) => !r.failed)
      .map((r) => r.cpu.other),
  );
  meta.reading = option('--reading', undefined);
  const readingFile = join(here, 'reading.md');
  if (!meta.reading && !opts.quick && existsSync(readingFile)) meta.reading = readFileSync(readingFile, 'utf8').trim();
  const markdown = render(results, meta);
  publish('segments', markdown, { meta, opts, results }, { write: opts.write, startedAt: t0 });
  rmDir(runDir);
  rmDir(server.dir);
}

await main();
