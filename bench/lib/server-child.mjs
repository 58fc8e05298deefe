// One @odpkit/server node in its own process, started through the server's public API (startServer), forked by
// server.mjs with an IPC channel. Usage: node server-child.mjs '{"db": "<file or postgres://…>", "segmentsFile"?}'
// ODPKIT_SERVER_MODULE is the server module to import (a snapshot of packages/server/dist, see server.mjs).
// Sends { ready, url, pid } once listening; on the message 'close' it closes the server (and its store) and exits.

import { serveUntilClosed } from './processes.mjs';

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
serveUntilClosed({ url: server.url }, () => server.close());
