import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

// The console's JavaScript budget: 80 kB gzip in total, measured on the built files (npm run build).
const BUDGET_BYTES = 80 * 1024;
const assets = fileURLToPath(new URL('../dist/assets/', import.meta.url));

it('ships at most 80 kB of gzipped JavaScript', () => {
  const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
  expect(scripts.length).toBeGreaterThan(0);
  const total = scripts.reduce((sum, f) => sum + gzipSync(readFileSync(assets + f), { level: 9 }).length, 0);
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});
