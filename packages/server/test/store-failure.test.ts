import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminGet, describeStores, event, postEvents, request, startTestServer, type TestServer } from './helpers.js';

// A commit that fails inside the database (here triggers refusing every event row and every health-probe row, standing
// in for a full disk or an I/O error) must answer 503 + Retry-After, store nothing of the batch, and leave no dedup key
// behind: the client's retry, once the store recovers, must be stored rather than taken for a duplicate. /health must
// say unhealthy while writes fail and healthy once one succeeds again. The fault is injected beside the server, as an
// operator or a failing disk would: a second SQLite connection to the file, or SQL in the PG schema.
describeStores('a failing commit', (store) => {
  let server: TestServer;
  let side: Database.Database | undefined;
  let refuseInserts: (on: boolean) => Promise<void>;
  const logLines: { level: number; msg: string; err?: { stack?: string } }[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') logLines.push(JSON.parse(line));
      done();
    },
  });

  beforeAll(async () => {
    server = await startTestServer({ store, logger: { level: 'info', stream: logStream } });
    const schema = server.schema;
    if (schema === null) {
      const db = new Database(server.db);
      side = db;
      refuseInserts = async (on) => {
        for (const table of ['events', 'health']) {
          db.exec(
            on
              ? `CREATE TRIGGER refuse_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'simulated I/O failure'); END`
              : `DROP TRIGGER refuse_${table}`,
          );
        }
      };
    } else {
      await schema.query(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated I/O failure'; END $$",
      );
      refuseInserts = async (on) => {
        for (const table of ['events', 'health']) {
          await schema.query(
            on
              ? `CREATE TRIGGER refuse BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse()`
              : `DROP TRIGGER refuse ON ${table}`,
          );
        }
      };
    }
  });
  afterAll(async () => {
    side?.close();
    await server?.close();
  });

  it('answers 503 with Retry-After, rolls the whole batch back, and accepts the retry later', async () => {
    const batch = [event({ fs_user_id: 'fail-1', email: 'fail@x.io' }), event({ fs_user_id: 'fail-2' })];
    const health = () => request(server.url, { path: '/health' });
    expect((await health()).status).toBe(200);
    await refuseInserts(true);
    const failed = await postEvents(server, server.account.publicKey, batch);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('1');
    expect(failed.json.detail).toEqual({ message: 'the event store is unavailable; retry later' });
    expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'fail-1')).toBeNull();
    expect((await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json.events).toBe(0);
    // The same failure again and again is logged once, with its stack, not once per request.
    for (let i = 0; i < 4; i++) expect((await postEvents(server, server.account.publicKey, batch)).status).toBe(503);
    const errors = logLines.filter((l) => l.level >= 50);
    expect(errors.map((l) => l.msg)).toEqual(['commit failed']);
    expect(errors[0]?.err?.stack).toContain('simulated I/O failure');
    // The failed commit is what /health reports (it answered 200 just before): the same store write path.
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.json.detail).toEqual({ message: 'the store cannot write' });

    await refuseInserts(false);
    expect((await postEvents(server, server.account.publicKey, batch)).status).toBe(202);
    expect((await health()).json).toEqual({ status: 'ok' });
    const stats = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
    expect(stats.events).toBe(2);
    expect(stats.duplicates).toBe(0);
  });
});
