// Load generator of every HTTP benchmark: autocannon's programmatic API in its own process (forked by load.mjs with
// an IPC channel), against one or several server nodes at once (the connections are split evenly between them).
//
// What is sent comes from a request module (config.requests, an absolute path) that exports
// makeRequest(config, i) → one autocannon request object for target i (bench/lib/events.mjs for POST /v3/events,
// bench/segments/graphql-requests.mjs for POST /v3/graphql).
//
// Latencies are recorded from autocannon's 'response' events (hrtime, sub-millisecond), merged over all nodes, so
// percentiles are exact over every measured request (autocannon's own histogram rounds to whole milliseconds); the
// samples go back to the parent so that percentiles can be pooled over reps.
//
// Input: one JSON argument { targets: [url…], requests, okStatus, connections, warmup, duration | amount, batch? }.
// Messages: { phase: 'measure-start' }, { phase: 'measure-end' }, then { result }.

const config = JSON.parse(process.argv[2]);
const { targets, connections, warmup = 0, duration = 10, amount, okStatus = 200, batch } = config;
const { makeRequest } = await import(config.requests);
const { default: autocannon } = await import('autocannon');
const { quantileSorted } = await import('./stats.mjs');

let latencies = [];
const statuses = {};

function runOne(url, conns, measure, i, record) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections: conns, pipelining: 1, timeout: 10, ...measure, requests: [makeRequest(config, i)] },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (record) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        latencies.push(responseTime);
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      });
    }
    process.once('SIGTERM', () => instance.stop());
  });
}

function runAll(measure, record) {
  const per = targets.map(
    (_, i) => Math.floor(connections / targets.length) + (i < connections % targets.length ? 1 : 0),
  );
  return Promise.all(targets.map((url, i) => runOne(url, per[i], measure, i, record)));
}

const send = (message) => new Promise((resolve) => process.send(message, resolve));

if (warmup > 0) await runAll({ duration: warmup }, false);
latencies = [];
await send({ phase: 'measure-start' });
const started = process.hrtime.bigint();
const results = await runAll(amount ? { amount: Math.ceil(amount / targets.length) } : { duration }, true);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await send({ phase: 'measure-end' });

const sorted = Float64Array.from(latencies).sort();
const ok = statuses[okStatus] ?? 0;
const total = latencies.length;
await send({
  result: {
    seconds,
    requests: total,
    ok,
    requestsPerSecond: ok / seconds,
    eventsPerSecond: batch ? (ok * batch) / seconds : Number.NaN,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    max: total ? sorted[total - 1] : Number.NaN,
    mean: total ? latencies.reduce((a, b) => a + b, 0) / total : Number.NaN,
    notOk: total - ok,
    statuses,
    errors: results.reduce((n, r) => n + r.errors, 0),
    timeouts: results.reduce((n, r) => n + r.timeouts, 0),
    perTarget: results.map((r) => ({ requests: r.requests.total, non2xx: r.non2xx, errors: r.errors })),
    // Microsecond resolution is plenty for percentiles in milliseconds, and keeps the IPC message small.
    latencies: latencies.map((x) => Math.round(x * 1000) / 1000),
  },
});
process.exit(0);
