import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '@odpkit/server';
import { runStoreContract } from './store-contract.js';

// The store contract against a real SQLite file in a temp dir (not :memory:, which skips the WAL and fsync paths).
runStoreContract('SQLite file', async ({ now }) => {
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-store-contract-'));
  const store = openSqliteStore(join(dir, 'odpkit.db'), { now });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
