import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SDK_VERSION } from '@odpkit/sdk';
import { describe, expect, it } from 'vitest';
import { distBrowser, distCjs, distDefault, distEsm, sdkRoot } from './helpers/paths.js';

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

  it('the browser and default entries import no node: module, not even through a shared chunk', () => {
    const reachable = (file: string, seen = new Set<string>()): string => {
      if (seen.has(file)) return '';
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      const deps = [...code.matchAll(/from\s*["'](\.\/[^"']+)["']|import\s*["'](\.\/[^"']+)["']/g)];
      return code + deps.map((m) => reachable(path.join(path.dirname(file), (m[1] ?? m[2])!), seen)).join('\n');
    };
    for (const entry of [distBrowser, distDefault]) {
      const code = reachable(entry);
      expect(code).not.toMatch(/["']node:/);
      expect(code).not.toMatch(/\brequire\(/);
    }
    // The Node entry imports node:http statically, so its CommonJS twin require()s it (no dynamic import()).
    expect(readFileSync(distCjs, 'utf8')).toMatch(/require\(["']node:http["']\)/);
    expect(readFileSync(distCjs, 'utf8')).not.toMatch(/import\(["']node:/);
  });

  it('exports a browser, worker, node and default entry for ".", plus segments, limits and package.json', () => {
    const root = pkg.exports['.'];
    expect(Object.keys(root)).toEqual(['worker', 'browser', 'node', 'import', 'require']);
    expect(root.browser.import.default).toBe('./dist/index.browser.js');
    expect(root.node.require.default).toBe('./dist/index.node.cjs');
    expect(Object.keys(pkg.exports)).toEqual(['.', './segments', './limits', './package.json']);
    for (const cond of [root.worker, root.browser, root.node, root, pkg.exports['./segments']]) {
      for (const kind of ['import', 'require']) {
        for (const f of Object.values(cond[kind]) as string[]) expect(existsSync(path.join(sdkRoot, f)), f).toBe(true);
      }
    }
  });
});
