// Sends COUNT events with the built ESM bundle and simply ends: no close(), no flush(). The SDK must deliver
// everything and let the process exit on its own.
const { createOdpClient } = await import(process.env.ODPKIT_DIST);
const count = Number(process.env.COUNT);
const client = createOdpClient({
  odp: { apiKey: 'pk_child', apiHost: process.env.SINK_URL },
  maxInFlight: Number(process.env.MAX_IN_FLIGHT ?? 4),
  // Strict batches of 10 unless told otherwise: a backlog then never absorbs the last, partial batch.
  maxBatchSize: Number(process.env.MAX_BATCH_SIZE ?? 10),
  retryBaseDelay: 20,
  logLevel: 'silent',
  ...(process.env.FLUSH_TIMEOUT ? { flushTimeout: Number(process.env.FLUSH_TIMEOUT) } : {}),
});
if (process.env.REPORT) {
  // Prints how every event ended, as the process exits: proof that none was lost without a report.
  const codes = {};
  client.on('event', (o) => {
    codes[o.code] = (codes[o.code] ?? 0) + 1;
  });
  process.on('exit', () => process.stdout.write(JSON.stringify(codes)));
}
for (let i = 0; i < count; i++) {
  client.sendOdpEvent('child_event', { fs_user_id: `user-${i}`, email: `user-${i}@example.com` }, 'fullstack', {
    item: 'shirt',
    price: 50,
    i,
  });
}
