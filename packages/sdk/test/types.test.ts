import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, sdkRoot } from './helpers/paths.js';

const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const consumer = path.join(sdkRoot, 'test', 'types', 'consumer.ts');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A throwaway project that depends on @odpkit/sdk through node_modules (so the package's exports and built .d.ts
 * are what is checked) and compiles consumer.ts with the given types. Returns tsc's output; '' means it compiled.
 */
function compile(types: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'odpkit-types-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'node_modules', '@odpkit'), { recursive: true });
  symlinkSync(sdkRoot, path.join(dir, 'node_modules', '@odpkit', 'sdk'), 'dir');
  copyFileSync(consumer, path.join(dir, 'consumer.ts'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types,
        typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
      },
      files: ['consumer.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    return '';
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? err);
  }
}

describe('type declarations (built dist)', () => {
  it('needs the built declarations', () => {
    expect(existsSync(path.join(sdkRoot, 'dist', 'index.d.ts')), 'run npm run build -w @odpkit/sdk').toBe(true);
  });

  it('compile with lib ES2022 and no other types (no DOM, no @types/node); interfaces and Maps are accepted', () => {
    expect(compile([])).toBe('');
  }, 60_000);

  it('compile in a Node-only project (lib ES2022, types node)', () => {
    expect(compile(['node'])).toBe('');
  }, 60_000);
});
