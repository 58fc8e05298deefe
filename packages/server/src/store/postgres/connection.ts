import pg from 'pg';

/**
 * Connection settings. A deployment names its schema either with the store's `schema` option or with `?schema=` on
 * the URL (so `--db postgres://…?schema=odpkit` works from the CLI, which only passes one string); without either,
 * the server's default search_path applies. libpq-style `?options=-c search_path=…` is passed through to pg as is.
 */

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface ConnectionSettings {
  connectionString: string;
  schema: string | null;
}

export function parsePostgresUrl(url: string, schemaOption?: string): ConnectionSettings {
  const parsed = new URL(url);
  const fromUrl = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const schema = schemaOption ?? fromUrl ?? null;
  // The name goes into CREATE SCHEMA and search_path, where identifiers cannot be bound as parameters.
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}: use letters, digits and _`);
  }
  return { connectionString: parsed.toString(), schema };
}

export function createPool(settings: ConnectionSettings, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max,
    ...(settings.schema !== null ? { options: `-c search_path=${settings.schema}` } : {}),
  });
  // An idle client whose connection drops (database restart, network) emits 'error' on the pool; without a listener
  // that would crash the process, while the pool replaces the client on the next checkout anyway.
  pool.on('error', () => {});
  return pool;
}

/** serialization_failure and deadlock_detected: the transaction did nothing durable and can simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export class RetryableConflict extends Error {}

export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableConflict) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

export const MAX_ATTEMPTS = 8;

/**
 * Runs `work` in one transaction on one pooled client, running it again from the start on a deadlock or
 * serialization failure, at most MAX_ATTEMPTS times. A short random pause separates attempts so two nodes that
 * just deadlocked do not collide again in lockstep.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection itself failed: do not return it to the pool
      }
      if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
    } finally {
      client.release(broken);
    }
    await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
  }
}
