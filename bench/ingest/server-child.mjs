// Runs @odpkit/server in its own process so that its CPU is measured apart from the load generator.
// Usage (by run.mjs, with an IPC channel): node server-child.mjs --db /path/file.db
// Sends { ready, url, pid } once listening; on the message 'close' it closes the server (which
// closes the store) and exits. ODPKIT_SERVER_MODULE overrides the module (default '@odpkit/server').

const args = process.argv.slice(2);
const db = args[args.indexOf('--db') + 1];
if (!args.includes('--db') || !db) throw new Error('usage: server-child.mjs --db <file>');

const moduleName = process.env.ODPKIT_SERVER_MODULE || '@odpkit/server';
const { startServer } = await import(moduleName);
const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  db,
  publicKey: 'pk',
  privateKey: 'sk',
  logger: false,
});

process.on('message', async (message) => {
  if (message === 'close') {
    await server.close();
    process.send({ closed: true }, () => process.exit(0));
  }
});
process.send({ ready: true, url: server.url, pid: process.pid });
