import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminGet, event, postEvents, startTestServer, type TestServer } from './helpers.js';

// A commit that fails inside SQLite (here a trigger added through a second connection to the same file, standing in
// for a full disk or an I/O error) must answer 503 + Retry-After, store nothing of the batch, and leave no dedup key
// behind: the client's retry, once the store recovers, must be stored rather than taken for a duplicate.
describe('a failing commit', () => {
  let server: TestServer;
  let side: Database.Database;

  beforeAll(async () => {
    server = await startTestServer();
    side = new Database(join(server.dir, 'odpkit.db'));
  });
  afterAll(async () => {
    side.close();
    await server.close();
  });

  it('answers 503 with Retry-After, rolls the whole batch back, and accepts the retry later', async () => {
    const batch = [event({ fs_user_id: 'fail-1', email: 'fail@x.io' }), event({ fs_user_id: 'fail-2' })];
    side.exec("CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'simulated I/O failure'); END");
    const failed = await postEvents(server, server.account.publicKey, batch);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('1');
    expect(failed.json.detail).toEqual({ message: 'the event store is unavailable; retry later' });
    expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'fail-1')).toBeNull();
    expect((await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json.events).toBe(0);

    side.exec('DROP TRIGGER refuse');
    expect((await postEvents(server, server.account.publicKey, batch)).status).toBe(202);
    const stats = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
    expect(stats.events).toBe(2);
    expect(stats.duplicates).toBe(0);
  });
});
