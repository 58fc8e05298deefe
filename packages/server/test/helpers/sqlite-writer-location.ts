import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Test-only stand-in for src/store/sqlite/writer-location.ts (swapped in by vitest.config.ts). Tests run the server
 * from its TypeScript source, which a worker thread cannot load on Node 20, and must not depend on a stale dist; so
 * the writer thread's entry is bundled from source here, once per test process, into a temp file, and the store
 * starts its thread from that file exactly as it starts dist/sqlite-writer.js in production.
 */
const require = createRequire(import.meta.url);
const esbuild = require('esbuild') as typeof import('esbuild');

const out = esbuild.buildSync({
  entryPoints: [fileURLToPath(new URL('../../src/store/sqlite/writer-entry.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['better-sqlite3'],
  write: false,
});
// The bundle lives in a temp dir, where `require('better-sqlite3')` would not resolve: point it at this checkout's copy.
const source = (out.outputFiles[0] as { text: string }).text.replaceAll(
  'require("better-sqlite3")',
  `require(${JSON.stringify(require.resolve('better-sqlite3'))})`,
);
const dir = join(tmpdir(), 'odpkit-test-writer');
mkdirSync(dir, { recursive: true });
const file = join(dir, `sqlite-writer-${process.pid}.cjs`);
writeFileSync(file, source);

export const WRITER_ENTRY = pathToFileURL(file);
