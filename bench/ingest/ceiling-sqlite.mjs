// Ceiling (b): raw better-sqlite3 inserts of the same events the load generator sends (bench/lib/events.mjs), with no HTTP,
// no JSON parsing, no validation and no identity stitching: what storing the rows alone costs. Two layouts:
//
// - 'plain': the first, untuned baseline: one `events` table with the idempotence id as TEXT under a UNIQUE index,
//   SQLite's default page cache (2 MB) and checkpointing (every 1,000 pages), WAL, synchronous=FULL.
// - 'server': tuned exactly like the server's SQLite store. The DB file is one the server created itself (the harness
//   starts the built server on an empty file and stops it), so the tables, keys and indexes are the server's own;
//   this script applies the server's connection pragmas (WAL, wal_autocheckpoint 10000, synchronous FULL, 64 MiB
//   page cache, busy_timeout 5000, temp_store MEMORY) and writes what the server's writer writes for a new event:
//   one `dedup` row (account, 16-byte BLOB of the UUID) in its WITHOUT ROWID table, one `events` row (with the
//   customer the event was drawn for, so `events_by_customer` grows as in the server), and once per transaction the
//   `account_counters` upsert. Only the identity look-ups and writes (stitching) are left out.
//
// Commit modes: `groupBatches` 1 commits every batch on its own; k > 1 commits k batches per transaction, which is
// what the server's group commit does with k requests waiting (see run.mjs for how k is chosen).
//
//   node ceiling-sqlite.mjs measure '{"db","layout","batch","groupBatches","warmup","duration","seed"}'
//   node ceiling-sqlite.mjs prefill '{"db","layout","rows"}'   (synchronous=OFF, 500 events per transaction)
//
// Prints one JSON line with the result.

import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { makeEventPool, makeRng } from '../lib/events.mjs';
import { writtenBytes } from '../lib/machine.mjs';

const PLAIN_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  idempotence_id TEXT NOT NULL,
  type TEXT NOT NULL,
  action TEXT NOT NULL,
  identifiers TEXT NOT NULL,
  data TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_idempotence_id ON events (idempotence_id);
`;

/** The server store's connection settings (packages/server/src/store/sqlite/schema.ts, applyPragmas; cache 64 MiB). */
function applyServerPragmas(db, synchronous) {
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma(`cache_size = ${-64 * 1024}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
}

/** The server's compact dedup key of a UUID: its 16 bytes (store/sqlite/dedup-key.ts). */
const uuidKey = (id) => Buffer.from(id.replaceAll('-', ''), 'hex');

function openPlain(file, synchronous) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(PLAIN_SCHEMA);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO events (idempotence_id, type, action, identifiers, data, received_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const write = db.transaction((batches) => {
    for (const rows of batches)
      for (const r of rows) insert.run(r.id, 'fullstack', r.action, r.identifiers, r.data, r.at);
  });
  return { db, write };
}

function openServerLayout(file, synchronous) {
  const db = new Database(file);
  applyServerPragmas(db, synchronous);
  const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all());
  for (const t of ['events', 'dedup', 'account_counters', 'accounts']) {
    if (!tables.has(t)) throw new Error(`${file} has no table ${t}: it must be a DB the server created`);
  }
  const account = db.prepare('SELECT id FROM accounts WHERE is_default = 1').pluck().get();
  if (account === undefined) throw new Error(`${file} has no default account`);
  const dedup = db.prepare('INSERT OR IGNORE INTO dedup (account_id, key) VALUES (?, ?)');
  const insertEvent = db.prepare(
    'INSERT INTO events (account_id, customer_id, received_at, type, action, identifiers, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const counters = db.prepare(`INSERT INTO account_counters (account_id, events) VALUES (?, ?)
    ON CONFLICT (account_id) DO UPDATE SET events = events + excluded.events`);
  const tx = db.transaction((batches) => {
    let stored = 0;
    for (const rows of batches) {
      for (const r of rows) {
        if (dedup.run(account, uuidKey(r.id)).changes === 0) continue;
        insertEvent.run(account, r.customer + 1, r.at, 'fullstack', r.action, r.identifiers, r.data);
        stored++;
      }
    }
    counters.run(account, stored);
  });
  // BEGIN IMMEDIATE, as the server's writer: the write lock is taken up front.
  return { db, write: (batches) => tx.immediate(batches) };
}

function openRaw(file, layout, synchronous) {
  if (layout === 'plain') return openPlain(file, synchronous);
  if (layout === 'server') return openServerLayout(file, synchronous);
  throw new Error(`unknown layout ${layout}`);
}

/** Rows generator: the same events as the HTTP bodies, each with a fresh UUID v4. */
function makeRows(batch, pool, seed = 11) {
  const rng = makeRng(seed);
  return function rows() {
    const at = Date.now();
    const out = new Array(batch);
    for (let i = 0; i < batch; i++) {
      const p = pool.parts[Math.floor(rng() * pool.size)];
      const id = randomUUID();
      out[i] = {
        id,
        customer: p.customer,
        action: p.action,
        identifiers: p.identifiersJson,
        data: `{"idempotence_id":"${id}",${p.dataRest}}`,
        at,
      };
    }
    return out;
  };
}

function insertFor(store, rows, groupBatches, seconds) {
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const started = process.hrtime.bigint();
  let events = 0;
  let transactions = 0;
  let now = started;
  while (now < end) {
    const group = [];
    for (let k = 0; k < groupBatches; k++) group.push(rows());
    store.write(group);
    for (const b of group) events += b.length;
    transactions++;
    now = process.hrtime.bigint();
  }
  return { events, transactions, seconds: Number(now - started) / 1e9 };
}

function main() {
  const [mode, json] = process.argv.slice(2);
  const config = JSON.parse(json);
  const layout = config.layout ?? 'plain';
  const pool = makeEventPool({ seed: config.seed ?? 1 });
  if (mode === 'prefill') {
    const store = openRaw(config.db, layout, 'OFF');
    const rows = makeRows(500, pool, 3);
    const started = process.hrtime.bigint();
    for (let n = 0; n < config.rows; n += 500) store.write([rows()]);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const count = store.db.prepare('SELECT count(*) AS n FROM events').get().n;
    store.db.close();
    console.log(JSON.stringify({ rows: count, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
    return;
  }
  if (mode !== 'measure') throw new Error(`unknown mode ${mode}`);
  const store = openRaw(config.db, layout, 'FULL');
  const groupBatches = config.groupBatches ?? 1;
  const rows = makeRows(config.batch, pool, config.seed ?? 11);
  const before = store.db.prepare('SELECT count(*) AS n FROM events').get().n;
  if (config.warmup > 0) insertFor(store, rows, groupBatches, config.warmup);
  const cpu = process.cpuUsage();
  const written = writtenBytes('self');
  const r = insertFor(store, rows, groupBatches, config.duration);
  const used = process.cpuUsage(cpu);
  const kibPerEvent = (writtenBytes('self') - written) / 1024 / r.events;
  store.db.close();
  console.log(
    JSON.stringify({
      rowsBefore: before,
      eventsPerSecond: r.events / r.seconds,
      transactionsPerSecond: r.transactions / r.seconds,
      eventsPerTransaction: r.events / r.transactions,
      events: r.events,
      seconds: r.seconds,
      cpuPercent: ((used.user + used.system) / 1e6 / r.seconds) * 100,
      kibPerEvent,
    }),
  );
}

main();
