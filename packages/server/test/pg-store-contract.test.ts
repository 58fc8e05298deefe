import { openStore } from '@odpkit/server';
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
});
