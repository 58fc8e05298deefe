import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_PATH, type ServerNode, startNode } from './server-process.js';

/**
 * PostgreSQL test plumbing. The suites run against the real database named by ODPKIT_TEST_PG_URL. Without it they are
 * skipped LOUDLY (a skipped title that says how to run them, and a warning), unless ODPKIT_REQUIRE_PG=1 (CI), where a
 * missing or unreachable database is a failure, never a silent pass.
 */

export const PG_URL = process.env['ODPKIT_TEST_PG_URL'] ?? '';
const REQUIRED = process.env['ODPKIT_REQUIRE_PG'] === '1';
export const SKIP_REASON =
  'PostgreSQL tests SKIPPED: set ODPKIT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test to run them';

export function describePg(name: string, body: () => void): void {
  if (PG_URL !== '') {
    describe(name, body);
    return;
  }
  if (REQUIRED) {
    describe(name, () => {
      it('has a PostgreSQL to run against', () => {
        throw new Error('ODPKIT_REQUIRE_PG=1 but ODPKIT_TEST_PG_URL is not set');
      });
    });
    return;
  }
  console.warn(`${SKIP_REASON} (${name})`);
  describe.skip(`${SKIP_REASON} — ${name}`, body);
}

/** A URL that makes the store use `schema` (created by the store's migration if missing). */
export function urlWithSchema(schema: string): string {
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

export interface TestSchema {
  name: string;
  /** PG_URL with ?schema=<name>: what a server node or openPostgresStore is given. */
  url: string;
  /** Runs SQL in the schema, for assertions on what was really stored. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/**
 * A fresh, empty schema per test file (or per test), so files run in parallel without seeing each other's rows, and
 * dropped afterwards. The store itself creates the schema's tables, exactly as a server node would.
 */
export async function createTestSchema(): Promise<TestSchema> {
  const name = `odpkit_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${name}` });
  pool.on('error', () => {});
  return {
    name,
    url: urlWithSchema(name),
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<R>(sql, params)).rows;
    },
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await pool.end();
    },
  };
}

export { DIST_PATH, killRightAfterAnswer, type ServerNode, startNode } from './server-process.js';

/**
 * Two nodes of the built server over one fresh schema, started at the same moment before the block's tests (so both
 * run the migrations' check at once) and stopped, with the schema dropped, after them.
 */
export function twoNodesOnOneSchema(keys: { publicKey: string; privateKey: string }): {
  readonly schema: TestSchema;
  readonly nodes: [ServerNode, ServerNode];
} {
  let schema: TestSchema | undefined;
  let nodes: ServerNode[] = [];
  beforeAll(async () => {
    expect(existsSync(DIST_PATH), 'packages/server/dist is missing: run `npm run build -w @odpkit/server`').toBe(true);
    schema = await createTestSchema();
    nodes = await Promise.all([startNode(schema.url, keys), startNode(schema.url, keys)]);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await schema?.drop();
  });
  return {
    get schema() {
      return schema as TestSchema;
    },
    get nodes() {
      return nodes as [ServerNode, ServerNode];
    },
  };
}
