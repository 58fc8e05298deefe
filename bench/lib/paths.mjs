// Where the benchmarks live and write, the run log, and command-line options: shared by every benchmark.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const libDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(libDir, '../..');
/** Scratch space of every benchmark (DB files, server snapshots, raw results); ignored by git. */
export const benchTmp = join(repoRoot, 'bench', '.bench-tmp');

/** Progress lines go to stderr with the time of day, so stdout stays the rendered result. */
export const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

export function parseArgs(argv = process.argv.slice(2)) {
  const flag = (name) => argv.includes(name);
  const option = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  return { argv, flag, option };
}
