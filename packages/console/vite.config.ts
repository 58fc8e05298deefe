import { defineConfig } from 'vite';

// Served by `odpkit serve` at /console/; JSX compiled for Preact without a plugin (Vite's own transform).
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One script and one stylesheet: the console is small, and one request each keeps the first page fast.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
});
