// Ceiling (b): raw better-sqlite3 inserts of the same rows the load generator sends (events.mjs), one
// transaction per batch, WAL, synchronous=FULL, a UNIQUE index on the idempotence id stored as text.
// No HTTP, no JSON parsing, no identity stitching: the storage floor that a durable server pays.
//
//   node ceiling-sqlite.mjs measure '{"db":"/tmp/x.db","batch":10,"warmup":1,"duration":5}'
//   node ceiling-sqlite.mjs prefill '{"db":"/tmp/x.db","rows":1000000}'   (synchronous=OFF, batch 500)
//
// Prints one JSON line with the result.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { makeEventPool, makeRng } from './events.mjs';

const SCHEMA = `
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

export function openRawStore(file, synchronous = 'FULL') {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(SCHEMA);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO events (idempotence_id, type, action, identifiers, data, received_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertBatch = db.transaction((rows) => {
    for (const r of rows) insert.run(r[0], r[1], r[2], r[3], r[4], r[5]);
  });
  return { db, insertBatch };
}

/** Rows generator: the same events as the HTTP bodies, each with a fresh UUID v4. */
export function makeRows(batch, pool, seed = 11) {
  const rng = makeRng(seed);
  return function rows() {
    const now = Date.now();
    const out = new Array(batch);
    for (let i = 0; i < batch; i++) {
      const p = pool.parts[Math.floor(rng() * pool.size)];
      const id = randomUUID();
      out[i] = [
        id,
        'fullstack',
        p.action,
        p.identifiersJson,
        '{"idempotence_id":"' + id + '",' + p.dataRest + '}',
        now,
      ];
    }
    return out;
  };
}

function writeBytes() {
  try {
    return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
  } catch {
    return Number.NaN;
  }
}

function insertFor(store, rows, seconds) {
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const started = process.hrtime.bigint();
  let events = 0;
  let transactions = 0;
  let now = started;
  while (now < end) {
    const batchRows = rows();
    store.insertBatch(batchRows);
    events += batchRows.length;
    transactions++;
    now = process.hrtime.bigint();
  }
  return { events, transactions, seconds: Number(now - started) / 1e9 };
}

async function main() {
  const [mode, json] = process.argv.slice(2);
  const config = JSON.parse(json);
  const pool = makeEventPool({ seed: config.seed ?? 1 });
  if (mode === 'prefill') {
    const store = openRawStore(config.db, 'OFF');
    const rows = makeRows(500, pool, 3);
    const started = process.hrtime.bigint();
    for (let n = 0; n < config.rows; n += 500) store.insertBatch(rows());
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const count = store.db.prepare('SELECT count(*) AS n FROM events').get().n;
    store.db.close();
    console.log(JSON.stringify({ rows: count, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
    return;
  }
  if (mode !== 'measure') throw new Error(`unknown mode ${mode}`);
  const store = openRawStore(config.db, 'FULL');
  const rows = makeRows(config.batch, pool, config.seed ?? 11);
  const before = store.db.prepare('SELECT count(*) AS n FROM events').get().n;
  if (config.warmup > 0) insertFor(store, rows, config.warmup);
  const cpu = process.cpuUsage();
  const written = writeBytes();
  const r = insertFor(store, rows, config.duration);
  const used = process.cpuUsage(cpu);
  const kibPerEvent = (writeBytes() - written) / 1024 / r.events;
  store.db.close();
  console.log(
    JSON.stringify({
      rowsBefore: before,
      eventsPerSecond: r.events / r.seconds,
      transactionsPerSecond: r.transactions / r.seconds,
      events: r.events,
      seconds: r.seconds,
      cpuPercent: ((used.user + used.system) / 1e6 / r.seconds) * 100,
      kibPerEvent,
    }),
  );
}

await main();
