import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * A consistent copy of a SQLite database while a server writes to it: SQLite's online backup API copies the pages
 * in steps and restarts a step when the source changes under it, so the copy is one committed state. The source is
 * opened read-only; the copy is a plain SQLite file that `--db` can open.
 */
export async function backupSqlite(
  source: string,
  target: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ pages: number }> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  if (existsSync(target)) throw new Error(`${target} exists already; choose a new file name`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    const result = await db.backup(target, {
      progress({ totalPages, remainingPages }) {
        onProgress?.(totalPages - remainingPages, totalPages);
        return 1_000; // pages per step: short steps, so the server's writer is never held up for long
      },
    });
    return { pages: result.totalPages };
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of a SQLite file: 'ok', or what is wrong. */
export function integrityCheck(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n');
  } finally {
    db.close();
  }
}
