import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/limits.ts'],
  format: ['esm', 'cjs'],
  // Each entry self-contained: index.js loads as one file in a browser even though it shares limits.ts with the
  // limits entry (a shared chunk would be a second file to serve).
  splitting: false,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  // node:http is loaded lazily by the Node transport only; other runtimes never touch it.
  external: ['node:http', 'node:https'],
  // Keep the node: prefix: Deno resolves only node:http, and it marks the import as Node-only to a reader.
  removeNodeProtocol: false,
});
