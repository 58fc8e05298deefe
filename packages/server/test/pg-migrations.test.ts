import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '@odpkit/server';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/store/postgres/schema.js';
import { describePg, PG_URL, urlWithSchema } from './helpers/pg.js';

// Several nodes starting at the same moment on a database they have never seen: the schema does not exist yet, every
// node tries to create it and migrate it, all must succeed, and the migrations must have been applied exactly once.
describePg('PostgreSQL migrations', () => {
  const name = `odpkit_t_${randomBytes(6).toString('hex')}`;
  const stores: Store[] = [];
  const admin = () => new pg.Client({ connectionString: PG_URL });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    const c = admin();
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await c.end();
  });

  it('run once when four nodes start at once on a missing schema, and again as a no-op on restart', async () => {
    stores.push(...(await Promise.all([1, 2, 3, 4].map(() => openStore(urlWithSchema(name))))));
    const c = admin();
    await c.connect();
    try {
      const versions = await c.query(`SELECT version FROM ${name}.odpkit_migrations ORDER BY version`);
      expect(versions.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
      const tables = await c.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [name],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'account_counters',
        'accounts',
        'customers',
        'dedup',
        'events',
        'health',
        'identities',
        'merges',
        'odpkit_migrations',
        'refused_merges',
        'segment_definition_leaves',
        'segment_definitions',
        'segment_leaves',
        'segment_state',
      ]);
      const indexes = await c.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'events' ORDER BY indexname`,
        [name],
      );
      expect(indexes.rows.map((r) => r.indexname)).toEqual([
        'events_by_customer',
        'events_by_received_at',
        'events_pkey',
      ]);

      // A restart finds nothing to do, and every node can write and read through the shared schema.
      stores.push(await openStore(urlWithSchema(name)));
      expect((await c.query(`SELECT count(*)::int AS n FROM ${name}.odpkit_migrations`)).rows).toEqual([
        { n: MIGRATIONS.length },
      ]);
      for (const s of stores) await s.healthCheck();
      const account = await stores[0]!.createAccount({ publicKey: 'pk_m', privateKey: 'sk_m' });
      expect(await stores[3]!.accountByPublicKey('pk_m')).toEqual(account);
    } finally {
      await c.end();
    }
  });
});
