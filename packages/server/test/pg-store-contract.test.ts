import { openStore } from '@odpkit/server';
import { expect, it } from 'vitest';
import { createTestSchema, describePg } from './helpers/pg.js';
import { runStoreContract } from './store-contract.js';

// The same contract the SQLite store passes, against a real PostgreSQL: each test gets a fresh schema, opened through
// openStore() with a postgres:// URL, the path `odpkit serve --db postgres://…` takes.
describePg('PostgreSQL store', () => {
  runStoreContract('PostgreSQL', async ({ now }) => {
    const schema = await createTestSchema();
    const store = await openStore(schema.url, { now });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await schema.drop();
      },
    };
  });

  it('commits on connections with fsync and synchronous_commit on, as read back from a pooled connection', async () => {
    const schema = await createTestSchema();
    const store = await openStore(schema.url);
    try {
      const { driver, settings } = await store.diagnostics();
      expect(driver).toBe('postgres');
      // synchronous_commit=off would let COMMIT return before the WAL reaches disk: a 202 could then be lost.
      expect(settings).toMatchObject({ fsync: 'on', synchronous_commit: 'on' });
    } finally {
      await store.close();
      await schema.drop();
    }
  });
});
