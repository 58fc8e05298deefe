// SQLite files of the benchmarks: template copies per rep, sizes, clean-up.

import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Copies page by page (4 KiB reads and writes), not with copyFileSync: on this kernel (6.18) a copy_file_range copy
// leaves the file in the page cache as large folios, and then every 4 KiB page a WAL checkpoint writes dirties and
// flushes a whole folio. Measured with the raw ceiling at 300k rows: 68 KiB written per event after copyFileSync,
// 12 KiB after a page-by-page copy or on the file SQLite wrote itself — the copy would slow the pre-filled rows down.
function copyFilePaged(from, to) {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'w');
  const page = Buffer.allocUnsafe(4096);
  try {
    for (let pos = 0, n = readSync(src, page, 0, 4096, 0); n > 0; pos += n, n = readSync(src, page, 0, 4096, pos)) {
      writeSync(dst, page, 0, n, pos);
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

/** Copies a SQLite DB (main file and WAL, not the -shm) to `target`. */
export function copyDb(templateDb, target) {
  mkdirSync(dirname(target), { recursive: true });
  const base = templateDb.split('/').pop();
  const tbase = target.split('/').pop();
  for (const f of readdirSync(dirname(templateDb))) {
    if (f.startsWith(base) && !f.endsWith('-shm')) {
      copyFilePaged(join(dirname(templateDb), f), join(dirname(target), f.replace(base, tbase)));
    }
  }
  return target;
}

/** Bytes of a DB with its WAL and shared-memory files. */
export function dbBytes(db) {
  const base = db.split('/').pop();
  return readdirSync(dirname(db))
    .filter((f) => f.startsWith(base))
    .reduce((n, f) => n + statSync(join(dirname(db), f)).size, 0);
}

export const rmDir = (dir) => rmSync(dir, { recursive: true, force: true });
