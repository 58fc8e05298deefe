// PostgreSQL benchmark of @odpkit/server: durable ingestion at batch 10 and 500 with one node and with two
// nodes (two server processes on one database, the load split across both), beside SQLite in the same run; and
// GraphQL segment queries/s on PostgreSQL at the data size of the segments benchmark (bench/segments), beside SQLite.
//
//   node bench/postgres/run.mjs            full run (about 12 minutes), writes the postgres section of BENCHMARKS.md;
//                                          takes the benchmark lock itself
//   node bench/postgres/run.mjs --quick    smoke run, prints only (add --write to write)
//
// Options: --reps N --warmup S --duration S --conns N --customers N --events N --pg URL (default
//          postgres://postgres@127.0.0.1:5432/test) --write / --no-write
//          --no-profile (full runs add one CPU-profiled PG query rep, not counted in the table) --profile
// Build the server first: npm run build -w @odpkit/server (the harness copies packages/server/dist at start).
//
// PostgreSQL: every ingestion rep gets a fresh schema (`?schema=bench_<random>_<n>` on the URL, created by the store),
// dropped right after the rep; the query data set lives in one more schema for the run, dropped at the end (also on
// failure or Ctrl-C). SQLite: a fresh DB file per ingestion rep; for queries a fresh copy per rep of the segments
// benchmark's cached pre-filled DB (built here if missing).

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { graphqlLoad } from '../lib/graphql-requests.mjs';
import { describeLoad, runLoad } from '../lib/load.mjs';
import { pidsByComm, runMeta } from '../lib/machine.mjs';
import { publish } from '../lib/markdown.mjs';
import { benchTmp, libDir, log } from '../lib/paths.mjs';
import { runNodeJson } from '../lib/processes.mjs';
import { profileText, summariseProfile } from '../lib/profile.mjs';
import { benchOptions } from '../lib/run-options.mjs';
import { fsUserId, GRAPHQL_QUERY, SEGMENTS, SUBSET } from '../lib/segments-data.mjs';
import { cachedTemplate } from '../lib/segments-template.mjs';
import { snapshotServer, startServerChild, stopServerChild } from '../lib/server.mjs';
import { copyDb, rmDir } from '../lib/sqlite-files.mjs';
import { fmt, median, pooledPercentiles, stat, sumOf } from '../lib/stats.mjs';

const { argv, option, common, segmentsData } = benchOptions();
const quick = common.quick;
const opts = {
  ...common,
  ...segmentsData,
  ingestReps: Number(option('--ingest-reps', quick ? 1 : 2)),
  unknownShare: 0.05,
  pg: option('--pg', 'postgres://postgres@127.0.0.1:5432/test'),
};
const BATCHES = [10, 500];

const runDir = join(benchTmp, `postgres-${process.pid}`);
mkdirSync(runDir, { recursive: true });
const segmentsFile = join(runDir, 'segments.json');
writeFileSync(segmentsFile, JSON.stringify(SEGMENTS, null, 2));

// ---------- PostgreSQL schemas ----------

const runTag = `bench_${Math.random().toString(16).slice(2, 10)}`;
const schemas = new Set();
let schemaCounter = 0;
function newSchemaUrl() {
  const schema = `${runTag}_${++schemaCounter}`;
  schemas.add(schema);
  const sep = opts.pg.includes('?') ? '&' : '?';
  return { schema, url: `${opts.pg}${sep}schema=${schema}` };
}
async function dropSchema(schema) {
  const client = new pg.Client({ connectionString: opts.pg });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    schemas.delete(schema);
  } finally {
    await client.end();
  }
}
async function dropAllSchemas() {
  for (const s of [...schemas]) await dropSchema(s).catch((e) => log(`could not drop schema ${s}: ${e.message}`));
}
process.once('SIGINT', async () => {
  log('interrupted: dropping the schemas of this run');
  await dropAllSchemas();
  process.exit(130);
});

// ---------- reps ----------

const pgPids = () => pidsByComm('postgres');

async function withNodes(dbs, segments, fn, profileDir) {
  const nodes = [];
  try {
    // One after the other: the first one migrates (the store serialises migrations anyway).
    for (const db of dbs) {
      nodes.push(await startServerChild({ db, segmentsFile: segments ? segmentsFile : undefined, profileDir }));
    }
    return await fn(nodes);
  } finally {
    for (const n of nodes) await stopServerChild(n.child);
  }
}

function loadOn(nodes, load) {
  return runLoad(
    { ...load, targets: nodes.map((n) => n.url) },
    { cpuGroups: { server: nodes.map((n) => n.child.pid), postgres: pgPids } },
  );
}

let fileCounter = 0;
async function ingestRep(store, nodeCount, batch, seed) {
  const load = {
    requests: join(libDir, 'events.mjs'),
    okStatus: 202,
    batch,
    connections: opts.conns,
    warmup: opts.warmup,
    duration: opts.duration,
    seed,
  };
  if (store === 'sqlite') {
    const dir = join(runDir, `db-${++fileCounter}`);
    mkdirSync(dir, { recursive: true });
    try {
      return await withNodes([join(dir, 'odpkit.db')], false, (nodes) => loadOn(nodes, load));
    } finally {
      rmDir(dir);
    }
  }
  const { schema, url } = newSchemaUrl();
  try {
    return await withNodes(Array(nodeCount).fill(url), false, (nodes) => loadOn(nodes, load));
  } finally {
    await dropSchema(schema);
  }
}

async function safely(fn) {
  try {
    return await fn();
  } catch (error) {
    return { failed: String(error?.message || error) };
  }
}

const describe = describeLoad;

/** Every segment's state for a sample of customers (all 20 names), to compare the two stores' answers. */
async function membership(url) {
  const names = SEGMENTS.map((x) => x.name);
  const sample = quick ? 100 : 300;
  const out = [];
  for (let i = 0; i < sample; i++) {
    const c = Math.floor(((i * 0.6180339887498949) % 1) * opts.customers);
    const res = await fetch(`${url}/v3/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
      body: JSON.stringify({ query: GRAPHQL_QUERY, variables: { userId: fsUserId(c), audiences: names } }),
    });
    const edges = (await res.json())?.data?.customer?.audiences?.edges ?? [];
    out.push(...names.map((n) => `${c}:${n}:${edges.find((e) => e.node.name === n)?.node.state ?? 'missing'}`));
  }
  return out;
}

// ---------- rendering ----------

function render(results, meta) {
  const lines = [];
  const p = (x = '') => lines.push(x);
  const { ingest, queries, pgPrefill, template, server } = results;
  const sq = queries.find((c) => c.store === 'sqlite');
  const pq = queries.find((c) => c.store === 'pg' && c.label === 'after ANALYZE');
  p('## PostgreSQL (ingestion on one and two nodes, segment queries)');
  p();
  p(`- Run: ${meta.date}${opts.quick ? ' — **--quick smoke run, not a measurement**' : ''}`);
  p(
    `- Machine: ${meta.nproc} cores (${meta.cpuModel}), Node ${meta.node}, ${meta.memGiB} GiB RAM, PostgreSQL ${meta.pg} on 127.0.0.1 (same machine, default settings: \`synchronous_commit\` ${meta.pgSettings.synchronous_commit}, \`shared_buffers\` ${meta.pgSettings.shared_buffers}, \`fsync\` ${meta.pgSettings.fsync}, \`autovacuum\` ${meta.pgSettings.autovacuum}); load average at start ${meta.loadavg} (1, 5, 15 min); other processes used ${fmt(meta.idleBefore)}% CPU (of ${meta.nproc * 100}%) in the 2 s before the run and ${fmt(meta.otherDuring)}% (median) during the measured seconds. Shared machine: read ratios within this run.`,
  );
  p(`- Server: \`packages/server/dist\` (copied at start) from ${server.commit}`);
  p(
    `- Ingestion: \`POST /v3/events\` (202 after COMMIT), bodies from \`bench/lib/events.mjs\` (typical ~345 B events, fresh UUID idempotence ids, identifiers of 200,000 customers with a skew, so customers repeat and merge), autocannon 8 in one separate process with ${opts.conns} connections in total; two nodes = two server processes on the same schema, ${opts.conns / 2} connections to each, numbers summed and latencies merged. Per rep a fresh schema (PostgreSQL, \`?schema=bench_…\`, dropped after the rep) or a fresh file (SQLite), fresh server processes, ${opts.warmup} s warm-up then ${opts.duration} s measured, ${opts.ingestReps} rep(s), median (min–max); reps interleaved (SQLite, PG 1 node, PG 2 nodes, then again). Latencies from autocannon's per-response hrtime over every measured request. CPU from /proc over the measured seconds: "server" sums the node processes, "postgres" every \`postgres\` process on the machine (ours, plus any other engineer's).`,
  );
  p(
    `- Queries: the data set of the segments benchmark (\`bench/lib/segments-data.mjs\`: ${fmt(opts.customers)} customers, ${fmt(opts.events)} events over 120 days, 20 segments, 5-segment subset ${SUBSET.map((x) => `\`${x}\``).join(', ')}, ${opts.unknownShare * 100}% unknown customers). PostgreSQL: pre-filled in this run through the server's own ingestion endpoint (in process: \`startServer\` with its clock set to each batch's time, one \`POST /v3/events\` of 100 events at a time; no COPY) into one schema: ${pgPrefill ? `${fmt(pgPrefill.stored)} events, ${fmt(pgPrefill.customers)} customers in ${pgPrefill.seconds.toFixed(0)} s (${fmt(pgPrefill.eventsPerSecond)} events/s)` : 'failed'}; every rep queries that same schema (read-only load) with a fresh server process. **This PostgreSQL runs with \`autovacuum\` ${meta.pgSettings.autovacuum}**, so nothing analyzes the loaded tables by itself: one rep is measured as loaded (no warm-up), then the harness runs \`ANALYZE\` on the schema's tables (${fmt(results.analyzeSeconds)} s), as an operator would after a bulk load, then the interleaved reps. SQLite: a fresh copy per rep of the segments benchmark's cached file (${template ? `${(template.bytes / 2 ** 20).toFixed(0)} MiB, built ${new Date(template.now).toISOString().slice(0, 16)}Z` : 'missing'}). ${opts.conns} connections, ${opts.warmup} s + ${opts.duration} s, ${opts.reps} rep(s), interleaved.`,
  );
  p(`- Reproduce: \`npm run build -w @odpkit/server && ${meta.command}\``);
  p();
  p('### Durable ingestion');
  p();
  p(
    '| store | nodes | events/req | req/s median (min–max) | events/s median (min–max) | p50 ms | p99 ms | max ms | non-2xx / errors (timeouts), sum of reps | server CPU % (all nodes) | postgres CPU % | autocannon CPU % | other CPU % | ÷ SQLite (same batch) |',
  );
  p('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of ingest) {
    const sqlite = ingest.find((x) => x.store === 'sqlite' && x.batch === c.batch);
    const fail = c.reps.filter((r) => r.failed).length;
    const ev = stat(c.reps, 'eventsPerSecond');
    p(
      `| ${c.store === 'pg' ? '**PostgreSQL**' : 'SQLite'} | ${c.nodes} | ${c.batch} | ${stat(c.reps, 'requestsPerSecond').text} | ${ev.text} | ${stat(c.reps, 'p50').text} | ${stat(c.reps, 'p99').text} | ${stat(c.reps, 'max').text} | ${sumOf(c.reps, 'notOk')} / ${sumOf(c.reps, 'errors')} (${sumOf(c.reps, 'timeouts')})${fail ? ` — ${fail} rep(s) failed: ${c.reps.find((r) => r.failed).failed}` : ''} | ${stat(c.reps, (r) => r.cpu.server).text} | ${c.store === 'pg' ? stat(c.reps, (r) => r.cpu.postgres).text : '–'} | ${stat(c.reps, (r) => r.cpu.load).text} | ${stat(c.reps, (r) => r.cpu.other).text} | ${(ev.m / stat(sqlite.reps, 'eventsPerSecond').m).toFixed(2)} |`,
    );
  }
  p(
    '| SQLite | 2 | 10, 500 | not measured: a SQLite store is one file owned by one process; several nodes need PostgreSQL | | | | | | | | | | |',
  );
  p();
  p('### GraphQL segment queries (5-segment subset, 20 segments defined)');
  p();
  p(
    '| store | queries/s median (min–max) | p50 ms | p90 ms | p99 ms | max ms | non-2xx / errors (timeouts) | server CPU % | postgres CPU % | autocannon CPU % | other CPU % |',
  );
  p('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of queries) {
    const fail = c.reps.filter((r) => r.failed).length;
    p(
      `| ${c.store === 'pg' ? `**PostgreSQL**, ${c.label}` : 'SQLite'} | ${stat(c.reps, 'requestsPerSecond').text} | ${stat(c.reps, 'p50').text} | ${stat(c.reps, 'p90').text} | ${stat(c.reps, 'p99').text} | ${stat(c.reps, 'max').text} | ${sumOf(c.reps, 'notOk')} / ${sumOf(c.reps, 'errors')} (${sumOf(c.reps, 'timeouts')})${fail ? ` — ${fail} rep(s) failed: ${c.reps.find((r) => r.failed).failed}` : ''} | ${stat(c.reps, (r) => r.cpu.server).text} | ${stat(c.reps, (r) => r.cpu.postgres).text} | ${stat(c.reps, (r) => r.cpu.load).text} | ${stat(c.reps, (r) => r.cpu.other).text} |`,
    );
  }
  const ms = sq.reps[0]?.membership;
  const mp = pq.reps[0]?.membership;
  if (ms && mp) {
    const agree = ms.filter((x, i) => x === mp[i]).length;
    const qualified = (m) => m.filter((x) => x.endsWith(':qualified')).length;
    p();
    p(
      `Same answers? All 20 segments for ${ms.length / 20} customers, asked of both stores after rep 1: ${agree} of ${ms.length} states agree (${((agree / ms.length) * 100).toFixed(2)}%); qualified: ${qualified(ms)} on SQLite, ${qualified(mp)} on PostgreSQL. The two data sets are generated from the same seed but at different instants (SQLite's cached file ${results.template ? `${((results.pgPrefill?.now ?? Date.now()) - results.template.now) / 60000 > 0 ? Math.round(((results.pgPrefill?.now ?? Date.now()) - results.template.now) / 60000) : 0} min` : ''} earlier), so events near a window edge can count in one and not in the other.`,
    );
  }
  if (results.profile) {
    const pr = results.profile;
    p();
    p(
      `Where the node's time goes during the PostgreSQL query load (one extra rep, not in the table, node under \`node --cpu-prof\`, whole process lifetime; ${fmt(pr.load.requestsPerSecond)} queries/s while profiled, ${(pr.summary.busyShare * 100).toFixed(0)}% of the ${pr.summary.seconds.toFixed(0)} s non-idle): ${profileText(pr.summary)}.`,
    );
  }
  p();
  p('### Against the goals');
  p();
  const pgQ = queries.find((c) => c.store === 'pg' && c.label === 'after ANALYZE');
  const q = stat(pgQ.reps, 'requestsPerSecond').m;
  const q99 = pooledPercentiles(pgQ.reps.filter((r) => !r.failed).map((r) => r.latencies)).p99;
  p(
    `- No numeric goal of its own: these are PostgreSQL's figures beside SQLite's. The segment query goal (at least 5,000 queries/s with p99 under 10 ms) applied to PostgreSQL: ${fmt(q)} queries/s, p99 ${fmt(q99)} ms over every query of every rep — ${q >= 5000 && q99 < 10 ? 'met' : '**not met**'}.`,
  );
  for (const batch of BATCHES) {
    const one = ingest.find((c) => c.store === 'pg' && c.nodes === 1 && c.batch === batch);
    const two = ingest.find((c) => c.store === 'pg' && c.nodes === 2 && c.batch === batch);
    const a = stat(one.reps, 'eventsPerSecond').m;
    const b = stat(two.reps, 'eventsPerSecond').m;
    p(`- Batch ${batch}: two nodes give ${(b / a).toFixed(2)}× the events/s of one node (${fmt(a)} → ${fmt(b)}).`);
  }
  p();
  p(`Reading: ${meta.reading}`);
  return lines.join('\n');
}

function autoReading(results) {
  const { ingest, queries } = results;
  const parts = [];
  for (const batch of BATCHES) {
    const get = (store, nodes) => ingest.find((c) => c.store === store && c.nodes === nodes && c.batch === batch);
    const one = get('pg', 1);
    const two = get('pg', 2);
    const s = get('sqlite', 1);
    const cpu = (c, k) => stat(c.reps, (r) => r.cpu[k]).m;
    parts.push(
      `At batch ${batch}, one PG node took ${fmt(cpu(one, 'server'))}% CPU in the node and ${fmt(cpu(one, 'postgres'))}% in PostgreSQL, two nodes ${fmt(cpu(two, 'server'))}% + ${fmt(cpu(two, 'postgres'))}% (SQLite: ${fmt(cpu(s, 'server'))}% in one process), with autocannon ${fmt(cpu(one, 'load'))}% and other processes ${fmt(cpu(one, 'other'))}% of the ${200}% this machine has.`,
    );
  }
  const pgQ = queries.find((c) => c.store === 'pg' && c.label === 'after ANALYZE');
  const sqQ = queries.find((c) => c.store === 'sqlite');
  const us = (c) =>
    ((stat(c.reps, (r) => r.cpu.server).m + (stat(c.reps, (r) => r.cpu.postgres).m || 0)) /
      100 /
      stat(c.reps, 'requestsPerSecond').m) *
    1e6;
  parts.push(
    `Queries cost about ${fmt(us(pgQ))} µs of CPU each on PostgreSQL (node + postgres processes) vs ${fmt(us(sqQ))} µs on SQLite (node only; SQLite runs inside it).`,
  );
  const stale = queries.find((c) => c.label === 'as loaded, before ANALYZE');
  if (stale) {
    parts.push(
      `Before ANALYZE (autovacuum is off on this server, so the freshly loaded tables have no statistics) the rate was ${fmt(stat(stale.reps, 'requestsPerSecond').m)} queries/s with p50 ${fmt(stat(stale.reps, 'p50').m)} ms: EXPLAIN ANALYZE of the store's history query for one customer showed a bitmap scan over all ${fmt(opts.events)} events of the account joined to the customer (about 3 s) where, after ANALYZE, it is a nested loop over \`events_by_customer\` (about 1.5 ms).`,
    );
  }
  parts.push(
    'In the PostgreSQL rows our node and postgres processes together used well under one core while other processes used most of the machine, so ingestion there waits (commit round trips, fsync, CPU scheduling) rather than computes; `writev` (socket writes: responses and every PostgreSQL round trip) dominates the node profile during queries.',
  );
  parts.push(
    'On two cores, the node processes, PostgreSQL and the load generator compete for the same CPUs, so a second node adds processes rather than capacity: two-node figures here show contention and correctness under concurrency, not the scaling two machines would give.',
  );
  return parts.join(' ');
}

// ---------- main ----------

async function main() {
  const t0 = Date.now();
  const meta = runMeta('postgres', argv);
  {
    const client = new pg.Client({ connectionString: opts.pg });
    await client.connect();
    const r = await client.query(
      "select name, setting, unit from pg_settings where name in ('synchronous_commit','shared_buffers','fsync','max_connections','autovacuum')",
    );
    meta.pgSettings = Object.fromEntries(
      r.rows.map((x) => [x.name, x.name === 'shared_buffers' ? `${(Number(x.setting) * 8) / 1024} MiB` : x.setting]),
    );
    await client.end();
  }
  log(`load average at start ${meta.loadavg}; other CPU ${fmt(meta.idleBefore)}%; options ${JSON.stringify(opts)}`);
  const server = snapshotServer('postgres');
  const results = { server, ingest: [], queries: [] };
  try {
    // Durable ingestion: per batch size and rep, SQLite then PG 1 node then PG 2 nodes.
    for (const batch of BATCHES) {
      const group = [
        { store: 'sqlite', nodes: 1, batch, reps: [] },
        { store: 'pg', nodes: 1, batch, reps: [] },
        { store: 'pg', nodes: 2, batch, reps: [] },
      ];
      results.ingest.push(...group);
      for (let i = 0; i < opts.ingestReps; i++) {
        for (const c of group) {
          const r = await safely(() => ingestRep(c.store, c.nodes, batch, i + 1));
          c.reps.push(r);
          log(`ingest ${c.store} nodes=${c.nodes} batch=${batch} rep ${i + 1}: ${describe(r)}`);
        }
      }
    }

    // Segment queries at the segments benchmark's data size.
    results.template = cachedTemplate(server, opts);
    const { schema, url } = newSchemaUrl();
    log(`pre-filling ${opts.events} events into PostgreSQL schema ${schema} through the store API`);
    const queryLoad = graphqlLoad(opts, SUBSET);
    const pgNow = Date.now();
    results.pgPrefill = runNodeJson(join(libDir, 'segments-prefill.mjs'), [
      JSON.stringify({ db: url, customers: opts.customers, events: opts.events, now: pgNow }),
    ]);
    results.pgPrefill.now = pgNow;
    // This PostgreSQL runs with autovacuum off, so nothing analyzes the freshly loaded tables: measure the queries
    // once as loaded (planner statistics from an empty table), then ANALYZE the schema as an operator would after a
    // bulk load, and measure again (the rows of the table).
    const staleQ = { store: 'pg', label: 'as loaded, before ANALYZE', reps: [] };
    const r0 = await safely(() =>
      withNodes([url], true, (nodes) => loadOn(nodes, { ...queryLoad, warmup: 0, seed: 50 })),
    );
    staleQ.reps.push(r0);
    log(`queries pg before ANALYZE: ${describe(r0)}`);
    {
      const client = new pg.Client({ connectionString: opts.pg });
      await client.connect();
      const t = process.hrtime.bigint();
      const tables = await client.query('select tablename from pg_tables where schemaname = $1', [schema]);
      for (const { tablename } of tables.rows) await client.query(`ANALYZE "${schema}"."${tablename}"`);
      results.analyzeSeconds = Number(process.hrtime.bigint() - t) / 1e9;
      await client.end();
      log(`ANALYZE of ${tables.rows.length} tables took ${results.analyzeSeconds.toFixed(1)} s`);
    }
    log(`PG pre-fill: ${JSON.stringify(results.pgPrefill)}`);
    const sq = { store: 'sqlite', reps: [] };
    const pq = { store: 'pg', label: 'after ANALYZE', reps: [] };
    results.queries.push(sq, pq, staleQ);
    for (let i = 0; i < opts.reps; i++) {
      const dir = join(runDir, `q-${i}`);
      const r1 = await safely(async () => {
        try {
          const db = copyDb(results.template.db, join(dir, 'odpkit.db'));
          return await withNodes([db], true, async (nodes) => {
            const r = await loadOn(nodes, { ...queryLoad, seed: i + 1 });
            if (i === 0) r.membership = await membership(nodes[0].url);
            return r;
          });
        } finally {
          rmDir(dir);
        }
      });
      sq.reps.push(r1);
      log(`queries sqlite rep ${i + 1}: ${describe(r1)}`);
      const r2 = await safely(() =>
        withNodes([url], true, async (nodes) => {
          const r = await loadOn(nodes, { ...queryLoad, seed: i + 1 });
          if (i === 0) r.membership = await membership(nodes[0].url);
          return r;
        }),
      );
      pq.reps.push(r2);
      log(`queries pg rep ${i + 1}: ${describe(r2)}`);
    }
    if (opts.profile) {
      // One extra PG query rep with the node under --cpu-prof (not in the table): where the node's time goes.
      const profileDir = join(runDir, 'profile');
      const r = await safely(() =>
        withNodes(
          [url],
          true,
          (nodes) => loadOn(nodes, { ...queryLoad, seed: 99, duration: Math.min(8, opts.duration) }),
          profileDir,
        ),
      );
      const file = existsSync(profileDir) && readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file && !r.failed) {
        results.profile = { load: r, summary: summariseProfile(join(profileDir, file), 15) };
        log(`profile: ${JSON.stringify(results.profile.summary.buckets)}`);
        log(`profile top: ${JSON.stringify(results.profile.summary.top)}`);
      }
    }
  } finally {
    await dropAllSchemas();
  }
  meta.otherDuring = median(
    [...results.ingest, ...results.queries].flatMap((c) => c.reps.filter((r) => !r.failed).map((r) => r.cpu.other)),
  );
  meta.reading = option('--reading', undefined) ?? autoReading(results);
  const markdown = render(results, meta);
  publish('postgres', markdown, { meta, opts, results }, { write: opts.write, startedAt: t0 });
  rmDir(runDir);
  rmDir(server.dir);
}

await main();
