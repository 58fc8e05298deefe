// How long the worst inputs hold the server's event loop: the built server runs in a child process that measures its
// own event-loop delay (monitorEventLoopDelay) while this process sends each attack, then prints, per attack, the
// statuses, the longest stall, the wall time and the server's RSS. Not a test: the figures depend on the machine.
// Usage: npm run build && node packages/server/scripts/hostile-event-loop.mjs [path to a built index.js]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const serverModule = process.argv[3] ?? process.argv[2] ?? fileURLToPath(new URL('../dist/index.js', import.meta.url));

if (process.argv[2] === '--serve') {
  const { startServer } = await import(pathToFileURL(serverModule).href);
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-hostile-'));
  const server = await startServer({ port: 0, logger: false, db: join(dir, 'odpkit.db') });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  process.send({ url: server.url, key: server.account.publicKey, priv: server.account.privateKey });
  process.on('message', async (m) => {
    if (m === 'reset') {
      delay.reset();
      process.send('ok');
    } else if (m === 'report') {
      process.send({ maxMs: delay.max / 1e6, rss: process.memoryUsage().rss });
    } else if (m === 'stop') {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
} else {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', serverModule]);
  const [info] = await once(child, 'message');
  const ask = async (m) => {
    child.send(m);
    return (await once(child, 'message'))[0];
  };
  const post = (path, body, headers = {}) =>
    fetch(info.url + path, {
      method: 'POST',
      body,
      headers: { 'x-api-key': info.key, 'content-type': 'application/json', ...headers },
    })
      .then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      })
      .catch((e) => `error ${e.cause?.code ?? e.message}`);
  const brackets = (n) => '['.repeat(n) + ']'.repeat(n);
  const bomb = gzipSync(Buffer.from(brackets(2_000_000)), { level: 9 });
  const event = (i) => ({
    type: 'fullstack',
    action: 'a',
    identifiers: { fs_user_id: `u${i}` },
    data: Object.fromEntries(Array.from({ length: 150 }, (_, k) => [`k${k}`, `v${k}_${i}`])),
  });
  const batch = JSON.stringify(Array.from({ length: 1000 }, (_, i) => event(i)));
  const numbers = `[${Array.from({ length: 1_990_000 }, () => '0').join(',')}]`;
  const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
  const attacks = [
    [
      `8 x gzip nesting bomb (${bomb.length} B each)`,
      () => Promise.all(Array.from({ length: 8 }, () => post('/v3/events', bomb, { 'content-encoding': 'gzip' }))),
    ],
    ['1 x 4 MB of plain nesting', () => post('/v3/events', brackets(2_000_000))],
    [
      '1 x GraphQL body nested 120,000 deep',
      () => post('/v3/graphql', `{"query":"{ __typename }","variables":{"v":${brackets(120_000)}}}`),
    ],
    ['1 x 4 MB array of 2M numbers', () => post('/v3/events', numbers)],
    [`1 x valid batch of 1000 events (${mb(batch.length)})`, () => post('/v3/events', batch)],
    [
      `8 x gzip of that batch`,
      () =>
        Promise.all(
          Array.from({ length: 8 }, () => post('/v3/events', gzipSync(batch), { 'content-encoding': 'gzip' })),
        ),
    ],
    ['30 x 4 MB bodies at once', () => Promise.all(Array.from({ length: 30 }, () => post('/v3/events', numbers)))],
  ];
  for (const [name, run] of attacks) {
    await ask('reset');
    const started = performance.now();
    const statuses = {};
    for (const s of [await run()].flat()) statuses[s] = (statuses[s] ?? 0) + 1;
    const wall = performance.now() - started;
    const { maxMs, rss } = await ask('report');
    console.log(
      `${name}: ${JSON.stringify(statuses)}, longest event-loop stall ${maxMs.toFixed(0)} ms, wall ${wall.toFixed(0)} ms, server RSS ${(rss / 1e6).toFixed(0)} MB`,
    );
  }
  child.send('stop');
}
