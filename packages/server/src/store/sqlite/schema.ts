import type Database from 'better-sqlite3';

/**
 * Schema, and why it looks like this (measured with scripts/ingest-1m.mjs and scripts/dedup-key-ab.mjs):
 * - `events` is append-only with an INTEGER PRIMARY KEY: every insert lands on the last page.
 * - The idempotence id lives in its own WITHOUT ROWID table keyed (account, key), where a UUID is stored as a 16-byte
 *   BLOB instead of 36 characters of text: a random key lands on a random B-tree page whatever we do, so the win is
 *   making the tree small (entries about half the size of a text UNIQUE index's, which also carries a rowid) so it
 *   stays in the page cache and each commit dirties fewer pages.
 * - `identities` is keyed (account, type, value) so a look-up is one B-tree probe; `identities_by_customer`
 *   (customer_id, type) serves merges, profile reads and stitching's bounded per-customer counts. Customer ids are global integers in creation order ("older" = smaller).
 * - `events_by_customer` (account, customer, received_at) makes a customer's history one range scan at any table size.
 * - Counters per account avoid COUNT(*) over millions of rows for /admin/v1/stats.
 */
export const SCHEMA_VERSION = 2;

export function applyPragmas(db: Database.Database, cacheMiB: number): void {
  db.pragma('journal_mode = WAL');
  // Random-key inserts (dedup, identities) dirty pages all over the file; checkpointing every 10,000 pages instead of
  // every 1,000 writes a page that several commits touched once, and fsyncs the main file ten times less often.
  // (Checkpointing PASSIVE from a worker thread was tried: under continuous writes the WAL never caught up and grew to
  // the fallback limit, and throughput did not improve; see the package README.)
  db.pragma('wal_autocheckpoint = 10000');
  // FULL: the WAL is fsynced at every commit, so an acknowledged event survives power loss, not only a crash.
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = ${-Math.floor(cacheMiB * 1024)}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
}

export function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS accounts (
      id INTEGER PRIMARY KEY,
      public_key TEXT NOT NULL UNIQUE,
      private_key TEXT NOT NULL UNIQUE,
      is_default INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS account_counters (
      account_id INTEGER PRIMARY KEY,
      customers INTEGER NOT NULL DEFAULT 0,
      events INTEGER NOT NULL DEFAULT 0,
      unattributed INTEGER NOT NULL DEFAULT 0,
      duplicates INTEGER NOT NULL DEFAULT 0,
      merges INTEGER NOT NULL DEFAULT 0,
      refused_merges INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS customers (
      id INTEGER PRIMARY KEY,
      account_id INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      merged_into INTEGER
    );
    -- Deleting a customer also deletes the customers merged into it (rare rows: a partial index).
    CREATE INDEX IF NOT EXISTS customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;
    CREATE TABLE IF NOT EXISTS identities (
      account_id INTEGER NOT NULL,
      type TEXT NOT NULL,
      value TEXT NOT NULL,
      customer_id INTEGER NOT NULL,
      PRIMARY KEY (account_id, type, value)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS identities_by_customer ON identities (customer_id);
    CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY,
      account_id INTEGER NOT NULL,
      customer_id INTEGER,
      received_at INTEGER NOT NULL,
      type TEXT NOT NULL,
      action TEXT NOT NULL,
      identifiers TEXT NOT NULL,
      data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_by_customer ON events (account_id, customer_id, received_at);
    -- Retention deletes an account's oldest events first, and /admin/v1/stats shows the oldest one kept.
    CREATE INDEX IF NOT EXISTS events_by_received_at ON events (account_id, received_at);
    CREATE TABLE IF NOT EXISTS dedup (
      account_id INTEGER NOT NULL,
      key BLOB NOT NULL,
      PRIMARY KEY (account_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS merges (
      id INTEGER PRIMARY KEY,
      account_id INTEGER NOT NULL,
      from_customer INTEGER NOT NULL,
      into_customer INTEGER NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS refused_merges (
      id INTEGER PRIMARY KEY,
      account_id INTEGER NOT NULL,
      kept_customer INTEGER NOT NULL,
      refused_customer INTEGER NOT NULL,
      type TEXT NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS segment_definitions (
      account_id INTEGER NOT NULL,
      name TEXT NOT NULL,
      definition TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY, checked_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
  `);
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', '1');
  const version = Number(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get());
  for (const [v, sql] of UPGRADES) {
    if (version >= v) continue;
    db.transaction(() => {
      db.exec(sql);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(v));
    }).immediate();
  }
}

/** Changes to a database created by an older version, in order, each applied once in its own transaction. */
const UPGRADES: readonly [version: number, sql: string][] = [
  [
    // Stitching counts a customer's values per type (bounded by the per-customer cap); with the type in the index
    // that count is a walk of at most cap + 1 index entries, whatever the customer holds.
    2,
    `DROP INDEX IF EXISTS identities_by_customer;
     CREATE INDEX identities_by_customer ON identities (customer_id, type);`,
  ],
];

/** An `events` row as better-sqlite3 returns it (the JSON columns as the text stored at validation). */
export interface EventRow {
  id: number;
  type: string;
  action: string;
  identifiers: string;
  data: string;
  received_at: number;
}
