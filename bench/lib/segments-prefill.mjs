// Pre-fills a store (SQLite file or postgres:// URL) with the data set of segments-data.mjs through the server's own Store API:
// events are validated with the server's validateBatch and written with store.ingest([...batches]) in groups of
// `groupBatches` batches of `batchSize` events (one transaction per group), the same code path a group commit takes,
// with identity stitching, dedup rows and counters. The next group is generated while the previous one commits.
//
// Usage (by segments-template.mjs and bench/postgres/run.mjs): node segments-prefill.mjs '{"db","customers","events","now","batchSize","groupBatches"}'
// Prints one JSON line: { stored, customers, seconds, eventsPerSecond }.

const config = JSON.parse(process.argv[2]);
const { db, customers, events, now, batchSize = 100, groupBatches = 100 } = config;
const serverModule = process.env.ODPKIT_SERVER_MODULE;
const { openStore, ensureDefaultAccount, validateBatch } = await import(serverModule);
const { generateDataSet } = await import('./segments-data.mjs');

const t0 = process.hrtime.bigint();
const store = await openStore(db, {});
const account = await ensureDefaultAccount(store, { publicKey: 'pk', privateKey: 'sk' });
let stored = 0;
let pending = null;
let lastLog = Date.now();
for (const group of generateDataSet({ customers, events, now, batchSize, groupBatches })) {
  const batches = group.batches.map((b) => {
    const r = validateBatch(b.events);
    if (!r.ok) throw new Error(`invalid generated event: ${JSON.stringify(r.invalids[0])}`);
    return { accountId: account.id, receivedAt: b.receivedAt, events: r.events };
  });
  if (pending) for (const o of await pending) stored += o.stored;
  pending = store.ingest(batches);
  if (Date.now() - lastLog > 10_000) {
    lastLog = Date.now();
    process.stderr.write(`  prefill: ${group.done} events generated, ${stored} stored\n`);
  }
}
if (pending) for (const o of await pending) stored += o.stored;
const stats = await store.accountStats(account.id);
await store.close();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(
  JSON.stringify({
    stored,
    customers: stats.customers,
    events: stats.events,
    seconds,
    eventsPerSecond: stored / seconds,
  }),
);
