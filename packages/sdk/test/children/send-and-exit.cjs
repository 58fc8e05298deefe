// The CommonJS twin of send-and-exit.mjs: require() of the built CJS bundle, send, end without close().
const { createOdpClient } = require(process.env.ODPKIT_DIST);
const count = Number(process.env.COUNT);
const client = createOdpClient({
  odp: { apiKey: 'pk_child', apiHost: process.env.SINK_URL },
  retryBaseDelay: 20,
  // Strict batches of 10: a backlog then never absorbs the last, partial batch.
  maxBatchSize: 10,
  logLevel: 'silent',
});
for (let i = 0; i < count; i++) client.sendOdpEvent('child_event', { fs_user_id: `user-${i}` }, undefined, { i });
