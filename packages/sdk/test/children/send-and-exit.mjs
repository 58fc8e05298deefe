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
});
for (let i = 0; i < count; i++) {
  client.sendOdpEvent('child_event', { fs_user_id: `user-${i}`, email: `user-${i}@example.com` }, 'fullstack', {
    item: 'shirt',
    price: 50,
    i,
  });
}
