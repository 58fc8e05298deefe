// Runs @odpkit/server (packages/server/dist) in its own process for bench/lifecycle/run.mjs, so its memory is
// measured apart from the load generator. Usage (with an IPC channel):
//   node server-child.mjs --db <file> [--retention-ms N] [--now-ms N]
// Sends { ready, url, pid } once listening; on the message 'close' it closes the server and exits.
// --now-ms fixes the server's clock offset: the server's now() is Date.now() + (N - the start time), so imported
// receive times relative to N land where the benchmark wants them while time still moves.

const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const db = arg('--db');
if (!db) throw new Error('usage: server-child.mjs --db <file> [--retention-ms N] [--now-ms N]');
const retentionMs = arg('--retention-ms');
const nowMs = arg('--now-ms');
const offset = nowMs === undefined ? 0 : Number(nowMs) - Date.now();

const { startServer } = await import(process.env.ODPKIT_SERVER_MODULE || '@odpkit/server');
const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  db,
  publicKey: 'pk',
  privateKey: 'sk',
  logger: false,
  now: () => Date.now() + offset,
  ...(retentionMs === undefined ? {} : { retention: { maxAgeMs: Number(retentionMs), intervalMs: 1_000 } }),
});

process.on('message', async (message) => {
  if (message === 'close') {
    await server.close();
    process.send({ closed: true }, () => process.exit(0));
  }
});
process.send({ ready: true, url: server.url, pid: process.pid });
