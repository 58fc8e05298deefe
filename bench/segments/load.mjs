// Load generator for bench/segments and bench/postgres: autocannon's programmatic API in its own process (forked
// with an IPC channel), against one or several server nodes at once (the connections are split evenly between them).
//
// kind 'events': POST /v3/events, bodies from bench/ingest/events.mjs (a fresh UUID v4 idempotence id per event,
//   identifiers drawn with a skew from 200,000 customers so that customers repeat and merge), as bench/ingest/load.mjs.
// kind 'graphql': POST /v3/graphql in the variables form the SDKs send, for a random existing customer
//   (uniform over `customers`) or, with probability `unknownShare`, an fs_user_id nobody has.
//
// Latencies are recorded from autocannon's 'response' events (hrtime, sub-millisecond), merged over all nodes, so
// p50/p99 are exact over every measured request (autocannon's own histogram rounds to whole milliseconds).
//
// Input: one JSON argument { targets: [url…], kind, connections, warmup, duration, seed?, batch?, customers?,
//   unknownShare?, subset? }. Messages: { phase: 'measure-start' }, then { result }.

import autocannon from 'autocannon';
import { makeBodyGenerator, makeEventPool, makeRng } from '../ingest/events.mjs';
import { fsUserId, GRAPHQL_QUERY } from './data.mjs';

const config = JSON.parse(process.argv[2]);
const { targets, kind, connections, warmup = 0, duration = 10, seed = 1, batch = 10 } = config;

let makeRequest;
if (kind === 'events') {
  const pool = makeEventPool({ seed });
  makeRequest = (i) => {
    const body = makeBodyGenerator(batch, pool, seed * 7919 + batch + i * 31);
    return {
      method: 'POST',
      path: '/v3/events',
      headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
      setupRequest: (request) => {
        request.body = body();
        return request;
      },
    };
  };
} else {
  const { customers, unknownShare = 0.05, subset } = config;
  const head = `{"query":${JSON.stringify(GRAPHQL_QUERY)},"variables":{"userId":"`;
  const tail = `","audiences":${JSON.stringify(subset)}}}`;
  makeRequest = (i) => {
    const rng = makeRng(seed * 104729 + i + 1);
    return {
      method: 'POST',
      path: '/v3/graphql',
      headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
      setupRequest: (request) => {
        const id = rng() < unknownShare ? `nobody-${Math.floor(rng() * 1e9)}` : fsUserId(Math.floor(rng() * customers));
        request.body = head + id + tail;
        return request;
      },
    };
  };
}

let latencies = [];
const statuses = {};

function runOne(url, conns, seconds, i, record) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections: conns, pipelining: 1, timeout: 10, duration: seconds, requests: [makeRequest(i)] },
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

function runAll(seconds, record) {
  const per = targets.map(
    (_, i) => Math.floor(connections / targets.length) + (i < connections % targets.length ? 1 : 0),
  );
  return Promise.all(targets.map((url, i) => runOne(url, per[i], seconds, i, record)));
}

const send = (message) => new Promise((resolve) => process.send(message, resolve));

if (warmup > 0) await runAll(warmup, false);
latencies = [];
await send({ phase: 'measure-start' });
const started = process.hrtime.bigint();
const results = await runAll(duration, true);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await send({ phase: 'measure-end' });

const sorted = Float64Array.from(latencies).sort();
const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : Number.NaN);
const ok = kind === 'events' ? (statuses[202] ?? 0) : (statuses[200] ?? 0);
const total = latencies.length;
await send({
  result: {
    seconds,
    requests: total,
    ok,
    requestsPerSecond: ok / seconds,
    eventsPerSecond: kind === 'events' ? (ok * batch) / seconds : Number.NaN,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean: total ? latencies.reduce((a, b) => a + b, 0) / total : Number.NaN,
    notOk: total - ok,
    statuses,
    errors: results.reduce((n, r) => n + r.errors, 0),
    timeouts: results.reduce((n, r) => n + r.timeouts, 0),
    perTarget: results.map((r) => ({ requests: r.requests.total, non2xx: r.non2xx, errors: r.errors })),
  },
});
process.exit(0);
