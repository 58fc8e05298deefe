import Database from 'better-sqlite3';
import pg from 'pg';
import { parsePostgresUrl } from '../store/postgres/connection.js';
import { exportEvents as exportPgEvents, lastEventId as lastPgEventId } from '../store/postgres/lifecycle.js';
import { createLifecycleReads } from '../store/sqlite/lifecycle-reads.js';
import type { EventSource } from './export.js';

/**
 * Reads an account's events straight from a database, read-only, for `odpkit export --db` (with or without a
 * server running on it): a SQLite file opened read-only (WAL lets it read while the server writes), or PostgreSQL in
 * read-only transactions. The account is the default one, or the one whose private key is given.
 */
export interface EventReader extends EventSource {
  accountId: string;
  close(): Promise<void>;
}

const ACCOUNT_SQL = (placeholder: string, isDefault: string) =>
  `SELECT id FROM accounts WHERE ${placeholder === '' ? `is_default = ${isDefault}` : `private_key = ${placeholder}`}`;

export async function openEventReader(db: string, privateKey?: string): Promise<EventReader> {
  if (/^postgres(ql)?:\/\//i.test(db)) return openPgReader(db, privateKey);
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const row = (
      privateKey === undefined
        ? conn.prepare(ACCOUNT_SQL('', '1')).get()
        : conn.prepare(ACCOUNT_SQL('?', '')).get(privateKey)
    ) as { id: number } | undefined;
    if (row === undefined) throw new Error(noAccount(privateKey));
    const reads = createLifecycleReads(conn);
    return {
      accountId: String(row.id),
      lastEventId: async () => reads.lastEventId(),
      read: async (page) => reads.exportEvents(row.id, page),
      close: async () => {
        conn.close();
      },
    };
  } catch (err) {
    conn.close();
    throw err;
  }
}

function noAccount(privateKey: string | undefined): string {
  return privateKey === undefined ? 'the database has no default account' : 'no account has that private key';
}

async function openPgReader(url: string, privateKey: string | undefined): Promise<EventReader> {
  const settings = parsePostgresUrl(url);
  const options = ['-c default_transaction_read_only=on'];
  if (settings.schema !== null) options.push(`-c search_path=${settings.schema}`);
  const pool = new pg.Pool({ connectionString: settings.connectionString, max: 1, options: options.join(' ') });
  pool.on('error', () => {});
  try {
    const { rows } =
      privateKey === undefined
        ? await pool.query<{ id: string }>(ACCOUNT_SQL('', 'true'))
        : await pool.query<{ id: string }>(ACCOUNT_SQL('$1', ''), [privateKey]);
    const id = rows[0]?.id;
    if (id === undefined) throw new Error(noAccount(privateKey));
    return {
      accountId: id,
      lastEventId: () => lastPgEventId(pool),
      read: (page) => exportPgEvents(pool, id, page),
      close: () => pool.end(),
    };
  } catch (err) {
    await pool.end();
    throw err;
  }
}
