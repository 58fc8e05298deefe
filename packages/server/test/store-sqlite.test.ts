import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IngestBatch, openSqliteStore, type Store } from '@odpkit/server';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';
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

function batchOf(accountId: string, count: number, dataBytes = 0): IngestBatch {
  const events = Array.from({ length: count }, () => ({
    type: 'fullstack',
    action: 'purchased',
    identifiers: { fs_user_id: randomUUID() },
    data: { idempotence_id: randomUUID(), ...(dataBytes > 0 ? { blob: 'x'.repeat(dataBytes) } : {}) },
  }));
  const r = validateBatch(events);
  if (!r.ok) throw new Error('test batch invalid');
  return { accountId, receivedAt: Date.now(), events: r.events };
}

describe('SQLite store: what an acknowledgement rests on', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  function open(dir: string): Store {
    const store = openSqliteStore(join(dir, 'odpkit.db'));
    cleanups.push(() => store.close().catch(() => {}));
    return store;
  }
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'odpkit-store-sqlite-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('commits on a connection in WAL mode with synchronous=FULL, as read back from the writer itself', async () => {
    const store = open(tempDir());
    const { driver, settings } = await store.diagnostics();
    expect(driver).toBe('sqlite');
    // WAL: readers never block the commit; FULL (2): the WAL is fsynced at every commit, so an acknowledged event
    // survives power loss. (This build of SQLite defaults to NORMAL in WAL mode, which would not.)
    expect(settings).toMatchObject({ journal_mode: 'wal', synchronous: 2 });
  });

  it('refuses writes and fails its health check once its directory is deleted under it', async () => {
    const dir = tempDir();
    const store = open(dir);
    const account = await store.createAccount({ publicKey: 'pk_gone', privateKey: 'sk_gone' });
    await expect(store.ingest([batchOf(account.id, 3)])).resolves.toHaveLength(1);
    await expect(store.healthCheck()).resolves.toBeUndefined();

    rmSync(dir, { recursive: true, force: true });

    // SQLite itself would go on committing into the deleted inode, and everything acknowledged would vanish.
    await expect(store.ingest([batchOf(account.id, 3)])).rejects.toThrow(/odpkit\.db is gone/);
    await expect(store.healthCheck()).rejects.toThrow(/is gone/);
    // A new directory and file at the same path are not the store's file either.
    mkdirSync(dir);
    openSqliteStore(join(dir, 'odpkit.db'))
      .close()
      .catch(() => {});
    await expect(store.ingest([batchOf(account.id, 1)])).rejects.toThrow(/replaced|gone/);
    await expect(store.healthCheck()).rejects.toThrow();
  });
});

/** An 8 MiB tmpfs to fill, or why there cannot be one here (mounting needs root). */
function smallFilesystem(): { dir: string; unmount: () => void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a small tmpfs (${(err as Error).message.split('\n')[0]}): run as root to test a full disk`;
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes until the filesystem says ENOSPC; returns the filler file. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

const fs = smallFilesystem();
if (typeof fs === 'string') console.warn(`SKIPPED full-disk test: ${fs}`);
describe.skipIf(typeof fs === 'string')(
  typeof fs === 'string' ? `SKIPPED SQLite store on a full disk: ${fs}` : 'SQLite store on a full disk',
  () => {
    const mounted = fs as { dir: string; unmount: () => void };
    afterAll(() => mounted.unmount());

    it('fails its health check while ingestion fails for lack of space, and passes again once there is space', async () => {
      const path = join(mounted.dir, 'odpkit.db');
      const store = openSqliteStore(path);
      try {
        const account = await store.createAccount({ publicKey: 'pk_full', privateKey: 'sk_full' });
        await store.ingest([batchOf(account.id, 100, 2000)]);
        // Checkpoint so the next commit writes from the start of the WAL file, into space it already has: a small
        // write then succeeds on the full disk while a batch larger than the WAL cannot.
        const side = new Database(path);
        side.pragma('wal_checkpoint(RESTART)');
        side.close();
        const filler = fill(mounted.dir);

        await expect(store.ingest([batchOf(account.id, 300, 2000)])).rejects.toMatchObject({
          code: expect.stringMatching(/^SQLITE_FULL|^SQLITE_IOERR/),
        });
        await expect(store.healthCheck()).rejects.toThrow();

        rmSync(filler);
        await expect(store.healthCheck()).resolves.toBeUndefined();
        await expect(store.ingest([batchOf(account.id, 300, 2000)])).resolves.toHaveLength(1);
      } finally {
        await store.close().catch(() => {});
      }
    });
  },
);
