import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per platform (package.json `exports` conditions pick it), plus add-on and shared-constant entries.
  entry: ['src/index.ts', 'src/index.node.ts', 'src/index.browser.ts', 'src/segments.ts', 'src/limits.ts'],
  format: ['esm', 'cjs'],
  // Each entry self-contained: index.js loads as one file in a browser even though it shares limits.ts with the
  // limits entry (a shared chunk would be a second file to serve).
  splitting: false,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  // Only the Node entry imports them, statically; no other entry reaches them.
  external: ['node:http', 'node:https'],
  // Keep the node: prefix: Deno resolves only node:http, and it marks the import as Node-only to a reader.
  removeNodeProtocol: false,
});
