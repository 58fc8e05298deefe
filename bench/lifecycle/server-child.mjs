// One @odpkit/server node for bench/lifecycle/run.mjs, in its own process so its memory is measured apart from the
// load generator. Usage (forked by run.mjs through bench/lib's forkReady):
//   node server-child.mjs '{"db": "<file>", "nowMs"?: N, "retentionMs"?: N}'
// nowMs shifts the server's clock so that "now" is nowMs at the start while time still moves: the benchmark's
// receive times, relative to nowMs, land where it wants them.

import { serveUntilClosed } from '../lib/processes.mjs';
import { startBenchServer } from '../lib/server.mjs';

const { db, nowMs, retentionMs } = JSON.parse(process.argv[2]);
const offset = nowMs === undefined ? 0 : nowMs - Date.now();
const server = await startBenchServer(db, {
  now: () => Date.now() + offset,
  ...(retentionMs === undefined ? {} : { retention: { maxAgeMs: retentionMs, intervalMs: 1_000 } }),
});
serveUntilClosed({ url: server.url }, () => server.close());
