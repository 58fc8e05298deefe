import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@odpkit/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestSchema, describePg } from './helpers/pg.js';

// openStore() is what `--db` goes through: the scheme picks the store, and a bad value must say what is wrong.
describe('openStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-open-store-'));
  const cwd = process.cwd();
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a URL of any other database, naming what it supports, and creates no file for it', async () => {
    process.chdir(dir);
    try {
      for (const url of ['mysql://root:secret@localhost/odp', 'SQLITE://x.db', 'http://example.com/db']) {
        const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
        const err = (await openStore(url).then(
          (s) => s.close().then(() => null),
          (e: Error) => e,
        )) as Error | null;
        expect(err?.message).toContain(`unsupported database URL scheme "${scheme}://"`);
        expect(err?.message).toContain('postgres:// or postgresql://');
        expect(err?.message).not.toContain('secret');
      }
      // Before, `mysql://…` opened a SQLite file at ./mysql:/root:secret@localhost/odp.
      expect(existsSync(join(dir, 'mysql:'))).toBe(false);
      expect(existsSync(join(dir, 'SQLITE:'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });

  it('names the SQLite path, and says the directory is missing, when the directory cannot be created', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const path = join(blocker, 'sub', 'odpkit.db');
    await expect(openStore(path)).rejects.toThrow(
      `cannot open the SQLite database ${path} (its directory ${join(blocker, 'sub')} does not exist and could not be created)`,
    );
  });

  it('names the SQLite path when SQLite cannot open it, and says that its directory exists', async () => {
    // A directory where the database file should be: SQLite's own message is only "unable to open database file".
    const path = join(dir, 'is-a-directory');
    await expect(openStore(join(path, 'x.db')).then((s) => s.close())).resolves.toBeUndefined();
    await expect(openStore(path)).rejects.toThrow(
      new RegExp(`^cannot open the SQLite database ${path} \\(its directory ${dir} exists\\): .+`),
    );
  });
});

describePg('openStore with PostgreSQL URLs', () => {
  it('recognises the postgres and postgresql schemes in any letter case', async () => {
    const schema = await createTestSchema();
    try {
      for (const scheme of ['POSTGRES', 'PostgreSQL']) {
        const url = schema.url.replace(/^postgres(ql)?/i, scheme);
        const store = await openStore(url);
        try {
          expect((await store.diagnostics()).driver).toBe('postgres');
        } finally {
          await store.close();
        }
      }
    } finally {
      await schema.drop();
    }
  });
});
