// One @odpkit/server node in its own process, started through the server's public API (startServer), forked by
// server.mjs with an IPC channel. Usage: node server-child.mjs '{"db": "<file or postgres://…>", "segmentsFile"?}'
// ODPKIT_SERVER_MODULE is the server module to import (a snapshot of packages/server/dist, see server.mjs).
// Sends { ready, url, pid } once listening; on the message 'close' it closes the server (and its store) and exits.

import { serveUntilClosed } from './processes.mjs';
import { startBenchServer } from './server.mjs';

const { db, segmentsFile } = JSON.parse(process.argv[2]);
const server = await startBenchServer(db, segmentsFile ? { segmentsFile } : {});
serveUntilClosed({ url: server.url }, () => server.close());
