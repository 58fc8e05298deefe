// A/B of the dedup key storage alone (no HTTP, no stitching): 300,000 events in transactions of 2,000 with
// synchronous=FULL, (A) a UNIQUE index on the idempotence id as TEXT in the events table, (B) a separate
// WITHOUT ROWID table keyed (account, 16-byte BLOB). Prints events/s and bytes written per event per 100k window.
// Usage: node packages/server/scripts/dedup-key-ab.mjs
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const Database = createRequire(import.meta.url)('better-sqlite3');
const written = () => Number(/^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
const body = JSON.stringify({
  type: 'fullstack',
  action: 'purchase',
  identifiers: { fs_user_id: 'user-1' },
  data: { price: 9.99 },
});

function run(variant) {
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-dedup-ab-'));
  const db = new Database(join(dir, 'db.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -65536');
  let insert;
  if (variant === 'A') {
    db.exec(
      'CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER, idem TEXT, body TEXT, UNIQUE (account_id, idem))',
    );
    const ins = db.prepare('INSERT OR IGNORE INTO events (account_id, idem, body) VALUES (1, ?, ?)');
    insert = (id) => ins.run(id, body);
  } else {
    db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER, body TEXT)');
    db.exec('CREATE TABLE dedup (account_id INTEGER, key BLOB, PRIMARY KEY (account_id, key)) WITHOUT ROWID');
    const d = db.prepare('INSERT OR IGNORE INTO dedup (account_id, key) VALUES (1, ?)');
    const ins = db.prepare('INSERT INTO events (account_id, body) VALUES (1, ?)');
    insert = (id) => {
      if (d.run(Buffer.from(id.replaceAll('-', ''), 'hex')).changes) ins.run(body);
    };
  }
  const tx = db.transaction((ids) => {
    for (const id of ids) insert(id);
  });
  const out = [];
  let t = performance.now();
  let w = written();
  for (let n = 0; n < 300_000; n += 2000) {
    tx(Array.from({ length: 2000 }, () => randomUUID()));
    if ((n + 2000) % 100_000 === 0) {
      const now = performance.now();
      const bytes = written();
      out.push(`${Math.round(100_000 / ((now - t) / 1000))} ev/s ${((bytes - w) / 100_000 / 1024).toFixed(2)} KiB/ev`);
      t = now;
      w = bytes;
    }
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`${variant === 'A' ? 'A text UNIQUE' : 'B blob table '}: ${out.join(' | ')}`);
}

for (const v of ['A', 'B', 'A', 'B']) run(v);
