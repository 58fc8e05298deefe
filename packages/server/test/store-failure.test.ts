import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminGet, describeStores, event, postEvents, startTestServer, type TestServer } from './helpers.js';

// A commit that fails inside the database (here a trigger refusing every event row, standing in for a full disk or an
// I/O error) must answer 503 + Retry-After, store nothing of the batch, and leave no dedup key behind: the client's
// retry, once the store recovers, must be stored rather than taken for a duplicate. The fault is injected beside the
// server, as an operator or a failing disk would: a second SQLite connection to the file, or SQL in the PG schema.
describeStores('a failing commit', (store) => {
  let server: TestServer;
  let side: Database.Database | undefined;
  let refuseInserts: (on: boolean) => Promise<void>;

  beforeAll(async () => {
    server = await startTestServer({ store });
    const schema = server.schema;
    if (schema === null) {
      const db = new Database(server.db);
      side = db;
      refuseInserts = async (on) => {
        db.exec(
          on
            ? "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'simulated I/O failure'); END"
            : 'DROP TRIGGER refuse',
        );
      };
    } else {
      await schema.query(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated I/O failure'; END $$",
      );
      refuseInserts = async (on) => {
        await schema.query(
          on
            ? 'CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse()'
            : 'DROP TRIGGER refuse ON events',
        );
      };
    }
  });
  afterAll(async () => {
    side?.close();
    await server?.close();
  });

  it('answers 503 with Retry-After, rolls the whole batch back, and accepts the retry later', async () => {
    const batch = [event({ fs_user_id: 'fail-1', email: 'fail@x.io' }), event({ fs_user_id: 'fail-2' })];
    await refuseInserts(true);
    const failed = await postEvents(server, server.account.publicKey, batch);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('1');
    expect(failed.json.detail).toEqual({ message: 'the event store is unavailable; retry later' });
    expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'fail-1')).toBeNull();
    expect((await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json.events).toBe(0);

    await refuseInserts(false);
    expect((await postEvents(server, server.account.publicKey, batch)).status).toBe(202);
    const stats = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
    expect(stats.events).toBe(2);
    expect(stats.duplicates).toBe(0);
  });
});
