// Pre-fills a store (SQLite file or postgres:// URL) with the data set of segments-data.mjs through the server's public
// API only: startServer() with its clock set to each batch's time, and every batch sent as one `POST /v3/events`
// request in process (Fastify's inject, no socket), one request at a time so that each batch is stored with its own
// time. Validation, identity stitching, dedup rows and counters are the server's own.
//
// Usage (by segments-template.mjs and bench/postgres/run.mjs): node segments-prefill.mjs '{"db","customers","events","now"}'
// Prints one JSON line: { stored, customers, events, seconds, eventsPerSecond }.

const config = JSON.parse(process.argv[2]);
const { db, customers, events, now, batchSize = 100 } = config;

import { generateDataSet } from './segments-data.mjs';
import { startBenchServer } from './server.mjs';

const t0 = process.hrtime.bigint();
let clock = now;
const server = await startBenchServer(db, { now: () => clock });
let lastLog = Date.now();
try {
  for (const group of generateDataSet({ customers, events, now, batchSize })) {
    for (const batch of group.batches) {
      clock = batch.receivedAt;
      const res = await server.app.inject({
        method: 'POST',
        url: '/v3/events',
        headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
        payload: JSON.stringify(batch.events),
      });
      if (res.statusCode !== 202)
        throw new Error(`pre-fill batch refused: ${res.statusCode} ${res.body.slice(0, 300)}`);
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      process.stderr.write(`  prefill: ${group.done} events sent\n`);
    }
  }
} finally {
  clock = Date.now();
}
const stats = await server.store.accountStats(server.account.id);
await server.close();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(
  JSON.stringify({
    stored: stats.events,
    customers: stats.customers,
    events: stats.events,
    seconds,
    eventsPerSecond: stats.events / seconds,
  }),
);
