import { readFileSync } from 'node:fs';

/**
 * The CLI's version, read from its package.json at run time: `dist/bin.js` and `src/` both sit one folder below it,
 * and the package ships the file, so the printed version cannot drift from the published one.
 */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
