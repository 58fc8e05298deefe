// Quick HTTP probe (not the benchmark; that is bench/ingest): the built server in this process, N concurrent
// keep-alive clients posting batches from the bench's event generator for S seconds, then the server's own counters.
// Usage: node packages/server/scripts/http-probe.mjs [batch=500] [conns=50] [seconds=5]

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBodyGenerator } from '../../../bench/lib/events.mjs';
import { startServer } from '../dist/index.js';

const [batch = 500, conns = 50, seconds = 5] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'odpkit-probe-'));
const server = await startServer({
  port: 0,
  db: join(dir, 'db.sqlite'),
  logger: false,
  publicKey: 'pk',
  privateKey: 'sk',
});
const next = makeBodyGenerator(batch);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
const lat = [];
let done = 0;
const end = Date.now() + seconds * 1000;
const post = (body) =>
  new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.request(
      `${server.url}/v3/events`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': 'pk' } },
      (res) => {
        res.resume();
        res.on('end', () => {
          lat.push(performance.now() - t);
          if (res.statusCode === 202) done += batch;
          resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
const t0 = performance.now();
await Promise.all(
  Array.from({ length: conns }, async () => {
    while (Date.now() < end) await post(next());
  }),
);
const s = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const m = await (await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': 'sk' } })).text();
const metric = (n) => Number(new RegExp(`^${n} (\\S+)$`, 'm').exec(m)?.[1]);
console.log(
  JSON.stringify({
    batch,
    conns,
    eventsPerSec: Math.round(done / s),
    p50: lat[Math.floor(lat.length / 2)]?.toFixed(1),
    p99: lat[Math.floor(lat.length * 0.99)]?.toFixed(1),
    commits: metric('odpkit_commits_total'),
    accepted: metric('odpkit_events_accepted_total'),
    merges: metric('odpkit_customer_merges_total'),
  }),
);
await server.close();
rmSync(dir, { recursive: true, force: true });
