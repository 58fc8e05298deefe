// SDK delivery benchmark: deliver N events (default 100,000) to one local sink with odpkit, the official
// @optimizely/optimizely-sdk (ODP through a datafile), @segment/analytics-node and posthog-node, once in a tight
// synchronous loop and once yielding to the event loop every 1,000 events. Each SDK runs in its own fresh child
// process; the sink runs in another. Reports CPU per delivered event, wall time until the last event reached the sink,
// peak RSS, requests and TCP connections seen by the sink, and events lost; median (min–max) of --reps runs.
//
//   node bench/sdk-delivery/run.mjs                         full run: 100,000 events × 3 reps, writes BENCHMARKS.md
//   node bench/sdk-delivery/run.mjs --events 5000 --reps 1  smoke run (prints only)
// Options: --events N  --reps N  --sdks odpkit,optimizely,segment,posthog  --modes tight,yield  --timeout SECONDS
//          --write / --no-write (default: write only for a full run of 100,000 events and at least 3 reps)
//          --render .bench-tmp/sdk-delivery-<date>.json   re-render a saved run (and write it unless --no-write)

import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runUnderBenchLock } from '../lib/lock.mjs';
import { CLK_TCK, loadAverageText, machineTicks, NPROC, processTicks } from '../lib/machine.mjs';
import { writeSection } from '../lib/markdown.mjs';
import { median } from '../lib/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

const SDKS = {
  odpkit: { label: 'odpkit', pkg: '@odpkit/sdk' },
  optimizely: { label: 'official Optimizely', pkg: '@optimizely/optimizely-sdk' },
  segment: { label: 'Segment node', pkg: '@segment/analytics-node' },
  posthog: { label: 'PostHog node', pkg: 'posthog-node' },
};

// ---------------------------------------------------------------------------------------------------------------
// options

function parseArgs(argv) {
  const opts = {
    events: 100000,
    reps: 3,
    sdks: Object.keys(SDKS),
    modes: ['tight', 'yield'],
    timeout: 120,
    write: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--events') opts.events = Number(next());
    else if (a === '--reps') opts.reps = Number(next());
    else if (a === '--sdks') opts.sdks = next().split(',');
    else if (a === '--modes') opts.modes = next().split(',');
    else if (a === '--timeout') opts.timeout = Number(next());
    else if (a === '--write') opts.write = true;
    else if (a === '--no-write') opts.write = false;
    else throw new Error(`unknown option ${a}`);
  }
  for (const s of opts.sdks) if (!SDKS[s]) throw new Error(`unknown SDK ${s}`);
  for (const m of opts.modes) if (m !== 'tight' && m !== 'yield') throw new Error(`unknown mode ${m}`);
  if (opts.write === undefined) opts.write = opts.events === 100000 && opts.reps >= 3;
  return opts;
}

// ---------------------------------------------------------------------------------------------------------------
// environment

function packageVersion(pkg) {
  for (let dir = here; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version;
    if (dir === path.dirname(dir)) return null;
  }
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

// odpkit is usable when its build output exists and exports createOdpClient.
async function odpkitStatus() {
  const dist = path.join(repoRoot, 'packages/sdk/dist/index.js');
  if (!existsSync(dist)) return 'packages/sdk/dist/index.js is missing (run `npm run build -w @odpkit/sdk`)';
  try {
    const mod = await import(pathToFileURL(dist).href);
    if (typeof mod.createOdpClient !== 'function') return '@odpkit/sdk does not export createOdpClient yet';
  } catch (err) {
    return `@odpkit/sdk failed to load: ${err.message}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// processes

function startSink() {
  const child = fork(path.join(here, 'sink.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (msg) => {
      if (msg.ready) {
        resolve({
          port: msg.port,
          call(cmd, extra = {}) {
            const id = nextId++;
            return new Promise((res) => {
              pending.set(id, res);
              child.send({ cmd, id, ...extra });
            });
          },
          stop() {
            child.send({ cmd: 'exit' });
          },
          pid: child.pid,
        });
      } else if (pending.has(msg.id)) {
        pending.get(msg.id)(msg);
        pending.delete(msg.id);
      }
    });
  });
}

function peakRssKbOf(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runOne(sink, sdk, mode, events, timeoutS) {
  await sink.call('reset', { events });
  const m0 = machineTicks();
  const sink0 = processTicks(sink.pid);
  const child = fork(path.join(here, 'clients', `${sdk}.mjs`), [String(sink.port), String(events), mode], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
  });
  let output = '';
  const keep = (d) => {
    output = (output + d).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  let result = null;
  let finished = null;
  let exitCode = null;
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve();
    }),
  );
  let clientTicks = null;
  let started = null;
  child.on('message', (msg) => {
    if (msg.type === 'started') started = msg;
    else if (msg.type === 'finished') finished = msg;
    else if (msg.type === 'result') {
      result = msg;
      clientTicks = processTicks(child.pid);
    }
  });

  // Wait until the sink has every event, the client's event loop ran dry (result arrives by itself), the client
  // died, or the cap is reached; then ask the client to measure and report.
  const forkedAt = Date.now();
  let stopReason = null;
  let stats = null;
  while (result === null && exitCode === null) {
    await sleep(50);
    if (finished === null) {
      if (Date.now() - forkedAt > timeoutS * 1000) stopReason = `cap of ${timeoutS} s reached before close() resolved`;
    } else {
      stats = (await sink.call('stats')).stats;
      if (stats.unique >= events) stopReason = 'sink has every event';
      else if (Date.now() - forkedAt > timeoutS * 1000) stopReason = `cap of ${timeoutS} s reached`;
    }
    if (stopReason) break;
  }
  if (stopReason && result === null && exitCode === null) {
    child.send({ cmd: 'stop', reason: stopReason });
    const deadline = Date.now() + 10000;
    while (result === null && exitCode === null && Date.now() < deadline) await sleep(20);
  }
  if (result === null && exitCode === null && started !== null) {
    // The client did not answer the stop request: measure it from the outside before killing it.
    const ticks = processTicks(child.pid);
    clientTicks = ticks;
    result = {
      type: 'result',
      sdk,
      mode,
      events,
      t0: started.t0,
      tLoop: finished?.tLoop ?? Number.NaN,
      tFinish: finished?.tFinish ?? Number.NaN,
      endReason: `${stopReason}; the client did not answer, so it was measured from /proc and killed`,
      cpuTotalUs: (ticks * 1e6) / CLK_TCK - started.cpuAtT0Us, // NaN when the process is gone
      rssBeforeKb: started.rssBeforeKb,
      peakRssKb: peakRssKbOf(child.pid),
      summary: null,
      report: null,
      finishError: null,
      measuredFromOutside: true,
    };
    child.kill('SIGKILL');
  }
  if (exitCode === null) {
    const killAt = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killAt);
  }
  await sleep(100); // let the sink see the client's sockets close
  stats = (await sink.call('stats')).stats;
  const m1 = machineTicks();
  const sink1 = processTicks(sink.pid);
  let otherCores = null;
  let sinkCores = null;
  if (Number.isFinite(sink0) && Number.isFinite(sink1)) {
    const elapsedTicks = (m1.total - m0.total) / NPROC;
    sinkCores = (sink1 - sink0) / elapsedTicks;
    if (Number.isFinite(clientTicks))
      otherCores = Math.max(0, (m1.busy - m0.busy - clientTicks - (sink1 - sink0)) / elapsedTicks);
  }
  if (!result) return { sdk, mode, events, error: `client failed (exit ${exitCode}): ${output.trim()}`, sink: stats };
  return { ...result, sink: stats, otherCores, sinkCores, stderr: output.trim() };
}

// ---------------------------------------------------------------------------------------------------------------
// numbers

function metrics(r) {
  const delivered = r.sink.unique;
  return {
    cpuUsPerEvent: delivered > 0 ? r.cpuTotalUs / delivered : Number.POSITIVE_INFINITY,
    cpuS: r.cpuTotalUs / 1e6,
    wallS: r.sink.lastEventAt > 0 ? (r.sink.lastEventAt - r.t0) / 1000 : Number.NaN,
    peakRssMb: r.peakRssKb / 1024,
    rssBeforeMb: r.rssBeforeKb / 1024,
    requests: r.sink.requests,
    connections: r.sink.connections,
    peakOpen: r.sink.peakOpenConnections,
    lost: r.events - delivered,
    duplicates: r.sink.received - delivered,
    loopMs: r.tLoop - r.t0,
    closeMs: r.tFinish - r.t0,
    otherCores: r.otherCores ?? Number.NaN,
  };
}

function fmt(x, digits) {
  if (Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return '∞';
  if (digits !== undefined) return x.toFixed(digits);
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

// median (min–max); runs without a value (NaN: e.g. no event arrived, so no wall time) are left out and counted.
function cell(values, digits) {
  const known = values.filter((v) => !Number.isNaN(v));
  const none = values.length - known.length;
  const suffix = none > 0 ? ` [${none} run(s): none]` : '';
  if (known.length === 0) return `–${suffix}`;
  const med = fmt(median(known), digits);
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  if (known.length < 2 || lo === hi) return `${med}${suffix}`;
  return `${med} (${fmt(lo, digits)}–${fmt(hi, digits)})${suffix}`;
}

function summarize(runs, opts) {
  const groups = [];
  for (const mode of opts.modes) {
    for (const sdk of opts.sdks) {
      const rs = runs.filter((r) => r.sdk === sdk && r.mode === mode);
      const ok = rs.filter((r) => !r.error);
      const ms = ok.map(metrics);
      groups.push({ sdk, mode, runs: rs, ok, ms, errors: rs.filter((r) => r.error) });
    }
  }
  return groups;
}

function table(groups) {
  const lines = [
    '| SDK | mode | CPU µs / delivered event | CPU s total | wall s (first send → last event at sink) | peak RSS MB | requests | TCP connections | peak open connections | events lost | duplicates | other load (cores) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const g of groups) {
    if (g.ms.length === 0) {
      const why = g.errors[0]?.error ?? g.runs[0]?.skipped ?? 'no run';
      lines.push(`| ${SDKS[g.sdk].label} | ${g.mode} | not measured: ${why.split('\n')[0].slice(0, 120)} ||||||||||`);
      continue;
    }
    const col = (k, d) =>
      cell(
        g.ms.map((m) => m[k]),
        d,
      );
    lines.push(
      `| ${SDKS[g.sdk].label} | ${g.mode} | ${col('cpuUsPerEvent')} | ${col('cpuS')} | ${col('wallS')} | ${col('peakRssMb', 0)} | ${col('requests', 0)} | ${col('connections', 0)} | ${col('peakOpen', 0)} | ${col('lost', 0)} | ${col('duplicates', 0)} | ${col('otherCores', 2)} |`,
    );
  }
  return lines.join('\n');
}

function ratios(groups, opts) {
  const lines = [];
  const get = (sdk, mode) => groups.find((g) => g.sdk === sdk && g.mode === mode);
  const med = (g, k) => median(g.ms.map((m) => m[k]));
  if (!opts.sdks.includes('optimizely')) return '';
  lines.push(
    '| SDK | mode | CPU / event vs official | peak RSS vs official | wall time vs official |',
    '|---|---|---|---|---|',
  );
  for (const mode of opts.modes) {
    const base = get('optimizely', mode);
    if (!base || base.ms.length === 0) continue;
    for (const sdk of opts.sdks) {
      const g = get(sdk, mode);
      if (!g || g.ms.length === 0 || sdk === 'optimizely') continue;
      const r = (k) => `${fmt(med(g, k) / med(base, k), 2)}×`;
      lines.push(`| ${SDKS[sdk].label} | ${mode} | ${r('cpuUsPerEvent')} | ${r('peakRssMb')} | ${r('wallS')} |`);
    }
  }
  return lines.join('\n');
}

function goal(groups, opts) {
  if (!opts.sdks.includes('odpkit')) return 'odpkit was not part of this run.';
  const out = [];
  for (const mode of opts.modes) {
    const o = groups.find((g) => g.sdk === 'odpkit' && g.mode === mode);
    if (!o || o.ms.length === 0) {
      out.push(`- ${mode}: odpkit not measured.`);
      continue;
    }
    const med = (g, k) => median(g.ms.map((m) => m[k]));
    const checks = [];
    const official = groups.find((g) => g.sdk === 'optimizely' && g.mode === mode);
    if (official && official.ms.length > 0) {
      const c = med(o, 'cpuUsPerEvent') / med(official, 'cpuUsPerEvent');
      const m = med(o, 'peakRssMb') / med(official, 'peakRssMb');
      checks.push(`CPU/event ${fmt(c, 2)}× official (goal ≤ 0.25: ${c <= 0.25 ? 'met' : 'NOT met'})`);
      checks.push(`peak RSS ${fmt(m, 2)}× official (goal ≤ 0.25: ${m <= 0.25 ? 'met' : 'NOT met'})`);
    }
    const peers = groups.filter((g) => g.mode === mode && g.sdk !== 'odpkit' && g.ms.length > 0);
    const beatsCpu = peers.every((g) => med(o, 'cpuUsPerEvent') < med(g, 'cpuUsPerEvent'));
    const beatsRss = peers.every((g) => med(o, 'peakRssMb') < med(g, 'peakRssMb'));
    checks.push(`beats every peer on CPU/event: ${beatsCpu ? 'yes' : 'no'}, on peak RSS: ${beatsRss ? 'yes' : 'no'}`);
    const lost = o.ms.reduce((s, m) => s + m.lost, 0);
    checks.push(`events lost over ${o.ms.length} run(s): ${lost}${lost === 0 ? ' (goal met)' : ' (goal NOT met)'}`);
    out.push(`- ${mode}: ${checks.join('; ')}.`);
  }
  return out.join('\n');
}

function notes(groups) {
  const out = [];
  for (const g of groups) {
    for (const r of g.ok) {
      const errs = r.report?.sdkErrorLogs;
      if (errs && errs.count > 0) {
        const top = Object.entries(errs.samples)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([msg, n]) => `${n}× "${msg}"`)
          .join('; ');
        out.push(`${SDKS[g.sdk].label} ${g.mode}: ${errs.count} error log(s): ${top}`);
      }
      if (r.summary && g.sdk === 'odpkit') out.push(`odpkit ${g.mode} close() summary: ${JSON.stringify(r.summary)}`);
      if (r.finishError) out.push(`${SDKS[g.sdk].label} ${g.mode}: close/flush threw: ${r.finishError.split('\n')[0]}`);
      const bodyBytes = r.sink.requests > 0 ? Math.round(r.sink.bytes / r.sink.requests) : 0;
      const gz = r.sink.gzipRequests > 0 ? ' gzip' : '';
      out.push(
        `${SDKS[g.sdk].label} ${g.mode}: send loop returned at ${fmt(r.tLoop - r.t0, 0)} ms, close ${r.endReason.includes('had not resolved') ? 'had not resolved' : `resolved at ${fmt(r.tFinish - r.t0, 0)} ms`}, last event at sink ${r.sink.lastEventAt > 0 ? `${fmt(r.sink.lastEventAt - r.t0, 0)} ms` : 'none'}, measured when: ${r.endReason}; ${bodyBytes} B${gz} per request; RSS after creating the client ${fmt(r.rssBeforeKb / 1024, 0)} MB; sink ${fmt(r.sinkCores ?? Number.NaN, 2)} cores, other processes ${fmt(r.otherCores ?? Number.NaN, 2)} cores on average`,
      );
    }
    for (const r of g.errors) out.push(`${SDKS[g.sdk].label} ${g.mode}: ${r.error.split('\n').slice(0, 3).join(' ')}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const command = `node bench/sdk-delivery/run.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const versions = Object.fromEntries(opts.sdks.map((s) => [s, packageVersion(SDKS[s].pkg)]));
  const skip = {};
  if (opts.sdks.includes('odpkit')) {
    const why = await odpkitStatus();
    if (why) skip.odpkit = why;
  }
  const startedAt = new Date();
  const env = {
    date: startedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: NPROC,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    load: loadAverageText(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    odpkitCommit: git(['log', '-1', '--format=%h', '--', 'packages/sdk']),
  };
  console.log(`sdk-delivery: ${opts.events} events × ${opts.reps} rep(s), modes ${opts.modes}, SDKs ${opts.sdks}`);
  console.log(
    `node ${env.node}, ${env.nproc} CPUs (${env.cpu}), load ${env.load}, versions ${JSON.stringify(versions)}`,
  );
  for (const [s, why] of Object.entries(skip)) console.log(`skipping ${s}: ${why}`);

  const sink = await startSink();
  const runs = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const mode of opts.modes) {
      for (const sdk of opts.sdks) {
        if (skip[sdk]) {
          runs.push({ sdk, mode, skipped: skip[sdk], error: skip[sdk] });
          continue;
        }
        const r = await runOne(sink, sdk, mode, opts.events, opts.timeout);
        runs.push(r);
        if (r.error) console.log(`rep ${rep} ${mode} ${sdk}: ERROR ${r.error.split('\n')[0]}`);
        else {
          const m = metrics(r);
          console.log(
            `rep ${rep} ${mode.padEnd(5)} ${sdk.padEnd(10)} cpu ${fmt(m.cpuUsPerEvent)} µs/ev  wall ${fmt(m.wallS)} s  rss ${fmt(m.peakRssMb, 0)} MB  req ${m.requests}  conns ${m.connections} (peak ${m.peakOpen})  lost ${m.lost}  dup ${m.duplicates}  loop ${fmt(m.loopMs, 0)} ms  close ${fmt(m.closeMs, 0)} ms  other load ${fmt(m.otherCores, 2)} cores  [${r.endReason}]`,
          );
        }
      }
    }
  }
  sink.stop();
  const record = { opts, env, versions, skip, command, elapsedS: (Date.now() - startedAt.getTime()) / 1000, runs };
  const tmp = path.join(repoRoot, '.bench-tmp');
  mkdirSync(tmp, { recursive: true });
  const rawFile = path.join(tmp, `sdk-delivery-${env.date.replace(/[:]/g, '')}.json`);
  writeFileSync(rawFile, JSON.stringify(record, null, 2));
  console.log(
    `\nraw results: ${path.relative(repoRoot, rawFile)} (re-render with --render ${path.relative(repoRoot, rawFile)})`,
  );
  render(record, opts.write);
}

// Prints the tables and, if asked, writes them into BENCHMARKS.md.
function render(record, write) {
  const { opts, env, versions, runs, skip = {}, elapsedS = Number.NaN } = record;
  const command = record.command ?? 'node bench/sdk-delivery/run.mjs';
  const groups = summarize(runs, opts);
  const tbl = table(groups);
  const rat = ratios(groups, opts);
  const gl = goal(groups, opts);
  const nts = notes(groups);
  console.log(`\n${tbl}\n\n${rat}\n\n${gl}\n\nnotes:\n${nts.map((n) => `- ${n}`).join('\n')}`);
  if (!write) {
    console.log('BENCHMARKS.md not written (smoke run; pass --write to force)');
    return;
  }
  const versionList = opts.sdks.map((s) => `${SDKS[s].pkg} ${versions[s] ?? '?'}`).join(', ');
  const section = `## SDK delivery

${opts.events.toLocaleString('en-US')} events per run delivered to one local sink (\`bench/sdk-delivery/sink.mjs\`, plain \`node:http\`,
own process), each SDK in its own fresh Node process on 127.0.0.1, once in a **tight** synchronous loop and once
**yield**ing to the event loop (\`await setImmediate()\`) every 1,000 events, then flushed/closed the way each SDK
documents (odpkit \`await client.close()\`, Optimizely \`await client.close()\`, Segment \`await analytics.closeAndFlush()\`,
PostHog \`await client.shutdown()\`). Median (min–max) of ${opts.reps} run(s) per cell; SDK defaults everywhere.

- Date: ${env.date}; machine: ${env.nproc} CPUs (${env.cpu}), Node ${env.node}, load average at start ${env.load}
  (shared machine: read the ratios, not the absolute numbers); total run time ${fmt(elapsedS, 0)} s.
- Reproduce: \`npm run build -w @odpkit/sdk && ${command}\` (repository commit ${env.commit}${env.odpkitCommit ? `, packages/sdk at ${env.odpkitCommit}` : ''}).
- Versions: ${versionList}.
${skip.odpkit ? `- **odpkit was not measured**: ${skip.odpkit}.\n` : ''}
${tbl}

How to read it:
- **CPU µs / delivered event**: user+system CPU of the SDK's process (\`process.cpuUsage()\`) from the first send until the
  sink had every event (or the process had nothing left to do, or the ${opts.timeout} s cap), divided by the events that
  arrived. Client creation and module loading are excluded.
- **wall s**: from the first send to the moment the sink received the last event that arrived (same clock,
  \`performance.timeOrigin + performance.now()\` in both processes).
- **peak RSS**: \`VmHWM\` of the SDK's process (includes Node itself and the SDK's modules).
- **requests / TCP connections**: as seen by the sink; "peak open" is the most connections open at the same time.
- **other load**: average number of cores busy with anything other than the SDK's process and the sink during the run
  (from \`/proc/stat\`); this machine is shared, and a high value means that run competed for the CPU.
- **events lost** = sent − unique events received (every event carries a sequence number the sink checks);
  **duplicates** = received − unique.
- Event: identifiers \`fs_user_id\` + \`email\`, five data properties (about 345 bytes per event on the ODP wire with
  the official SDK's common data); Segment and PostHog send the same values as \`userId\`/\`distinctId\` + properties.

Ratios to the official SDK (medians):

${rat}

Goal (odpkit at most ¼ of the official SDK's CPU per event and at most ¼ of its peak RSS, beats every peer on both,
loses nothing):

${gl}

What the peers' defaults do with a burst (read in their installed sources; the table shows the effect):
- official Optimizely: every full batch of 10 is dispatched at once with no bound on requests in flight, through
  Node's global agent (no socket limit), so a tight loop opens thousands of TCP connections at once; the queue is
  unbounded; \`close()\` starts the last flush without waiting for it.
- Segment node: every full batch of 15 is POSTed at once with \`fetch\` and a 10 s timeout; under a burst, requests time
  out after the sink already received them and are retried (duplicates); \`closeAndFlush()\` gives up after 75 s
  (its default timeout), and sends a final partial batch only when its 10 s flush timer fires if other batches are
  still in flight.
- PostHog node: the queue holds at most 10,000 events and drops the oldest when full; batches of at most 100 go out one
  request at a time, so a burst of 100,000 keeps only the last ones.

<details><summary>Per-run details</summary>

${nts.map((n) => `- ${n}`).join('\n')}

</details>
`;
  writeSection('sdk-delivery', section.trim());
  console.log(`BENCHMARKS.md: SDK delivery section written`);
}

async function entry() {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--render');
  if (at === -1) {
    runUnderBenchLock({ measurement: parseArgs(argv).write });
    return main();
  }
  const record = JSON.parse(readFileSync(path.resolve(argv[at + 1]), 'utf8'));
  render(record, !argv.includes('--no-write'));
}

entry().catch((err) => {
  console.error(err);
  process.exit(1);
});
