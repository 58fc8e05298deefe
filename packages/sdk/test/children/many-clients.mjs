// Creates CLIENTS clients against a local server, sends one event with each and waits until every event is sent.
// With KEEP=1 it keeps them referenced; otherwise it drops them. Prints heapUsed (after full GCs) before and after
// as JSON. Run with --expose-gc.
import http from 'node:http';

const { createOdpClient } = await import(process.env.ODPKIT_DIST);
const count = Number(process.env.CLIENTS);
const keep = process.env.KEEP === '1';

// MODE=datafileUrl: each client is configured from a datafile URL (and so has a poll timer) instead of odp.
const fromDatafile = process.env.MODE === 'datafileUrl';
const datafile = (host) =>
  JSON.stringify({ version: '4', integrations: [{ key: 'odp', host, publicKey: 'pk' }], audiences: [] });

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(datafile(url));
      return;
    }
    // Connection: close, so no idle keep-alive socket outlives its client: what is measured is the SDK alone.
    res.writeHead(202, { 'content-type': 'application/json', connection: 'close' }).end('{}');
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}`;

async function settledHeap() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}

// Warm up module caches and the transport's lazy import with one client that is closed properly.
const warm = createOdpClient({ odp: { apiKey: 'pk', apiHost: url }, logLevel: 'silent', flushInterval: 0 });
warm.sendOdpEvent('warm', { fs_user_id: 'w' });
await warm.close();

const before = await settledHeap();
let sent = 0;
let done;
const allSent = new Promise((resolve) => {
  done = resolve;
});
const kept = [];
for (let i = 0; i < count; i++) {
  const source = fromDatafile ? { datafileUrl: `${url}/datafile.json` } : { odp: { apiKey: 'pk', apiHost: url } };
  const client = createOdpClient({ ...source, logLevel: 'silent', flushInterval: 10 });
  client.on('event', (o) => {
    if (o.status === 'sent' && ++sent === count) done();
  });
  client.sendOdpEvent('used_once', { fs_user_id: `user-${i}` }, 'fullstack', { i });
  if (keep) kept.push(client);
}
await allSent;
const after = await settledHeap();
process.stdout.write(
  `${JSON.stringify({ sent, kept: kept.length, heapBefore: before.heapUsed, heapAfter: after.heapUsed, externalBefore: before.external, externalAfter: after.external })}\n`,
);
server.close();
