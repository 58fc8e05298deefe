import { defineConfig } from 'tsup';

export default defineConfig({
  // The SQLite writer thread's entry is a second file next to index.js (resolved from import.meta.url at run time).
  entry: { index: 'src/index.ts', 'sqlite-writer': 'src/store/sqlite/writer-entry.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
});
