// Load generator: autocannon's programmatic API in its own process (forked by run.mjs with an IPC
// channel). Every request carries a freshly generated body: `batch` events, each with a new UUID v4
// idempotence id and identifiers drawn from a shared customer pool (events.mjs).
//
// Input: one JSON argument { url, batch, connections, warmup, duration, amount?, seed? }.
// Messages to the parent: { phase: 'measure-start' } right before the measured run (after the
// warm-up), then { result } with the measured run's numbers.

import autocannon from 'autocannon';
import { makeBodyGenerator, makeEventPool } from './events.mjs';

const config = JSON.parse(process.argv[2]);
const { url, batch, connections, warmup = 0, duration = 10, amount, seed = 1 } = config;

const pool = makeEventPool({ seed });
const body = makeBodyGenerator(batch, pool, seed * 7919 + batch);

function run(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: '/v3/events',
            headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
            setupRequest: (request) => {
              request.body = body();
              return request;
            },
          },
        ],
        ...options,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    process.once('SIGTERM', () => instance.stop());
  });
}

function send(message) {
  return new Promise((resolve) => process.send(message, resolve));
}

if (warmup > 0) await run({ duration: warmup });
await send({ phase: 'measure-start' });
const started = process.hrtime.bigint();
const r = await run(amount ? { amount } : { duration });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const ok = r['2xx'];
await send({
  result: {
    seconds,
    requests: r.requests.total,
    ok,
    requestsPerSecond: ok / seconds,
    eventsPerSecond: (ok * batch) / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.average,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: r.statusCodeStats,
    bodyBytes: body().length,
  },
});
process.exit(0);
