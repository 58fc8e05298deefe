// Store-level decay check: 1,000,000 events through the real SQLite store (synchronous=FULL), in group commits of
// GROUP batches of BATCH events, each with a random UUID idempotence id and identity stitching on. Prints events/s
// per 100k-event window, so the empty-store rate can be compared with the rate at 1M.
// Usage: npm run build -w @odpkit/server && node packages/server/scripts/ingest-1m.mjs [batch=10] [group=50] [total=1000000]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, openSqliteStore, validateBatch } from '../dist/index.js';

// Bytes this process wrote to storage (Linux): a measure of write amplification that machine noise does not move.
const writtenBytes = () => Number(/^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);

const [batchSize = 10, group = 50, total = 1_000_000] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'odpkit-1m-'));
const store = openSqliteStore(join(dir, 'db.sqlite'));
const t0 = performance.now();
const account = await createAccount(store);
const USERS = 200_000;

function body() {
  const events = [];
  for (let i = 0; i < batchSize; i++) {
    const u = Math.floor(Math.random() * USERS);
    events.push({
      type: 'fullstack',
      action: 'purchase',
      identifiers: { fs_user_id: `user-${u}`, vuid: `vuid_${u.toString(16).padStart(27, '0')}` },
      data: { idempotence_id: randomUUID(), data_source_type: 'sdk', data_source: 'bench', price: 9.99, item: 'shirt' },
    });
  }
  return JSON.stringify(events);
}

let done = 0;
let windowStart = performance.now();
let windowEvents = 0;
let windowBytes = writtenBytes();
while (done < total) {
  const batches = [];
  for (let g = 0; g < group; g++) {
    const r = validateBatch(JSON.parse(body()));
    batches.push({ accountId: account.id, receivedAt: Date.now(), events: r.events });
  }
  await store.ingest(batches);
  done += batchSize * group;
  windowEvents += batchSize * group;
  if (windowEvents >= 100_000) {
    const s = (performance.now() - windowStart) / 1000;
    const bytes = writtenBytes();
    const kib = ((bytes - windowBytes) / windowEvents / 1024).toFixed(1);
    console.log(
      `${String(done - windowEvents).padStart(8)}..${done}: ${Math.round(windowEvents / s)} events/s (incl. parse+validate), ${kib} KiB written/event`,
    );
    windowBytes = bytes;
    windowStart = performance.now();
    windowEvents = 0;
  }
}
console.log(
  `total: ${Math.round(done / ((performance.now() - t0) / 1000))} events/s; WAL ${(statSync(join(dir, 'db.sqlite-wal')).size / 1e6).toFixed(1)} MB`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
