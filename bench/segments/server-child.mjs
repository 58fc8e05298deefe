// Runs @odpkit/server in its own process (forked by run.mjs with an IPC channel), like bench/ingest/server-child.mjs,
// but also for postgres:// URLs and with an optional segment file applied at start.
// Usage: node server-child.mjs '{"db": "<file or postgres://…>", "segmentsFile"?: "<file>"}'
// ODPKIT_SERVER_MODULE is the server module to import (run.mjs sets it to a snapshot of packages/server/dist).
// Sends { ready, url, pid } once listening; on the message 'close' it closes the server and exits.

const { db, segmentsFile } = JSON.parse(process.argv[2]);
const { startServer } = await import(process.env.ODPKIT_SERVER_MODULE || '@odpkit/server');
const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  db,
  publicKey: 'pk',
  privateKey: 'sk',
  logger: false,
  ...(segmentsFile ? { segmentsFile } : {}),
});

process.on('message', async (message) => {
  if (message === 'close') {
    await server.close();
    process.send({ closed: true }, () => process.exit(0));
  }
});
process.send({ ready: true, url: server.url, pid: process.pid });
