// @odpkit/server in its own process, so the load generator (run.mjs) never shares its event loop.
// Usage: node server-child.mjs '{"db": "<file>"}'; sends { ready, url, pid } once listening, closes on 'close'.
// ODPKIT_SERVER_MODULE: the server module to import (default: the built packages/server/dist).

const { db } = JSON.parse(process.argv[2]);
const module = process.env.ODPKIT_SERVER_MODULE || new URL('../../packages/server/dist/index.js', import.meta.url).href;
const { startServer } = await import(module);
const server = await startServer({ host: '127.0.0.1', port: 0, db, publicKey: 'pk', privateKey: 'sk', logger: false });

process.on('message', async (message) => {
  if (message === 'close') {
    await server.close();
    process.send({ closed: true }, () => process.exit(0));
  }
});
process.send({ ready: true, url: server.url, pid: process.pid });
