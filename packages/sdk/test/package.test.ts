import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SDK_VERSION } from '@odpkit/sdk';
import { describe, expect, it } from 'vitest';
import { distCjs, distEsm, sdkRoot } from './helpers/paths.js';

const pkg = JSON.parse(readFileSync(path.join(sdkRoot, 'package.json'), 'utf8'));

describe('published package', () => {
  it('SDK_VERSION (sent as data_source_version) matches package.json', () => {
    expect(SDK_VERSION).toBe(pkg.version);
  });

  it('has no runtime dependencies', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('works through require() and import from dist, with type declarations for both', () => {
    const probe = (code: string, type: 'cjs' | 'esm') =>
      execFileSync(process.execPath, [type === 'esm' ? '--input-type=module' : '--input-type=commonjs', '-e', code], {
        encoding: 'utf8',
      }).trim();
    expect(
      probe(
        `const m = require(${JSON.stringify(distCjs)}); console.log(typeof m.createOdpClient, m.SDK_VERSION)`,
        'cjs',
      ),
    ).toBe(`function ${pkg.version}`);
    expect(
      probe(
        `const m = await import(${JSON.stringify(pathToFileURL(distEsm).href)}); console.log(typeof m.createOdpClient, m.SDK_VERSION)`,
        'esm',
      ),
    ).toBe(`function ${pkg.version}`);
    for (const file of ['index.d.ts', 'index.d.cts']) expect(existsSync(path.join(sdkRoot, 'dist', file))).toBe(true);
  });

  it('the ESM bundle has no static node: imports (browsers and edge runtimes load it as is)', () => {
    const code = readFileSync(distEsm, 'utf8');
    expect(code).not.toMatch(/^\s*import\s[^(]*from\s*["'](node:)?(http|https|fs|crypto|events|buffer)["']/m);
    expect(code).not.toMatch(/\brequire\(/);
  });
});
