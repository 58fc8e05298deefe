import { statSync } from 'node:fs';
import { backupSqlite } from '@odpkit/server';
import { parseDb } from '../flags.js';
import { UsageError } from '../usage-error.js';

/**
 * `odpkit backup --db data/odpkit.db --out backup.db`: a consistent copy of a SQLite database, also while a server
 * writes to it (SQLite's online backup). PostgreSQL has its own tools: pg_dump (see the README).
 */
export async function backup(flags: { db: string; out: string }): Promise<number> {
  const db = parseDb(flags.db);
  if (db.kind === 'postgres') {
    throw new UsageError('backup copies SQLite files; for PostgreSQL use pg_dump (see the README)');
  }
  if (db.path === ':memory:') throw new UsageError('--db :memory: has nothing to back up');
  const { pages } = await backupSqlite(db.path, flags.out);
  process.stderr.write(
    `backup of ${db.path} written to ${flags.out} (${pages} pages, ${statSync(flags.out).size} bytes)\n`,
  );
  return 0;
}
