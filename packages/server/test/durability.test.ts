import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openSqliteStore } from '@odpkit/server';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_PATH, killRightAfterAnswer, startNode } from './helpers/server-process.js';
import { event, postEvents, request, startTestServer } from './helpers.js';

const keys = { publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` };
const startChild = (db: string) => startNode(db, keys);

/** Every acknowledged fs_user_id that is not stored exactly once in the database file. */
async function missingFrom(db: string, acknowledged: string[]): Promise<string[]> {
  const store = openSqliteStore(db);
  try {
    const account = await store.accountByPublicKey(keys.publicKey);
    expect(account).not.toBeNull();
    const missing: string[] = [];
    for (const id of acknowledged) {
      const c = await store.lookupCustomer(account!.id, 'fs_user_id', id);
      if (c === null || (await store.customerEventCount(account!.id, c.customerId)) !== 1) missing.push(id);
    }
    return missing;
  } finally {
    await store.close();
  }
}

async function restartOnce(db: string): Promise<void> {
  await (await startChild(db)).stop();
}

// SQLite-only: it kills a process and reopens its file. The PostgreSQL equivalent is pg-sigkill.test.ts.
describe('acknowledged means durable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-sigkill-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every 202-acknowledged event after the server is killed with SIGKILL mid-traffic', async () => {
    // Loud, not skipped: this test runs the built server, like the CLI does.
    expect(existsSync(DIST_PATH), 'packages/server/dist is missing: run `npm run build -w @odpkit/server` first').toBe(
      true,
    );
    const db = join(dir, 'odpkit.db');
    const first = await startChild(db);
    const acknowledged: string[] = [];
    let killed = false;
    // 8 concurrent senders, each posting batches of 10 until the kill; the kill happens right after the 30th 202, so
    // other batches are in flight (some committed but unanswered, some not yet committed).
    const sender = async (s: number) => {
      for (let b = 0; !killed; b++) {
        const batch = Array.from({ length: 10 }, (_, i) => event({ fs_user_id: `kill-${s}-${b}-${i}` }));
        try {
          const res = await postEvents(first, keys.publicKey, batch);
          if (res.status !== 202) continue;
          for (const e of batch) acknowledged.push(e.identifiers['fs_user_id']!);
          if (acknowledged.length >= 300 && !killed) {
            killed = true;
            first.proc.kill('SIGKILL');
          }
        } catch {
          return; // the connection died with the process
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, s) => sender(s)));
    await first.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);

    // Restart on the same file (the server must come up cleanly), then read it through the store.
    await restartOnce(db);
    expect(await missingFrom(db, acknowledged)).toEqual([]);
  });

  it('never acknowledges before the commit: a batch whose commit is held up gets no 202, and survives a kill right after its 202', async () => {
    expect(existsSync(DIST_PATH), 'packages/server/dist is missing: run `npm run build -w @odpkit/server` first').toBe(
      true,
    );
    // Under load a commit takes about as long as a response does to arrive, so a server that answered 202 as its
    // commit started would still pass the test above. Here the commit is made slow for real: a second connection
    // (as another process on the same file could) holds SQLite's write lock, so the server's commit waits on it.
    const db = join(dir, 'held.db');
    const server = await startChild(db);
    const warmUp = [event({ fs_user_id: 'held-warm-up' })];
    expect((await postEvents(server, keys.publicKey, warmUp)).status).toBe(202);

    const side = new Database(db);
    side.exec('BEGIN IMMEDIATE');
    const batch = Array.from({ length: 5 }, (_, i) => event({ fs_user_id: `held-${i}` }));
    const { early, status } = await killRightAfterAnswer(
      server,
      () => postEvents(server, keys.publicKey, batch),
      () => {
        side.exec('ROLLBACK');
        side.close();
      },
    );

    expect(early, 'the server answered while its commit was blocked').toBe(false);
    expect(status).toBe(202);
    await restartOnce(db);
    expect(
      await missingFrom(
        db,
        [...warmUp, ...batch].map((e) => e.identifiers['fs_user_id']!),
      ),
    ).toEqual([]);
  });
});

describe('a database directory deleted while the server runs', () => {
  it('turns ingestion into 503 and /health into 503 instead of acknowledging events that a restart would lose', async () => {
    const server = await startTestServer();
    try {
      expect((await postEvents(server, server.account.publicKey, [event({ fs_user_id: 'before' })])).status).toBe(202);
      expect((await request(server.url, { path: '/health' })).status).toBe(200);
      rmSync(dirname(server.db), { recursive: true, force: true });
      expect((await postEvents(server, server.account.publicKey, [event({ fs_user_id: 'after' })])).status).toBe(503);
      expect((await request(server.url, { path: '/health' })).status).toBe(503);
    } finally {
      await server.close();
    }
  });
});
