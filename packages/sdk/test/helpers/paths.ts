import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const sdkRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoRoot = path.resolve(sdkRoot, '..', '..');
// What Node resolves `@odpkit/sdk` to (the `node` export condition).
export const distEsm = path.join(sdkRoot, 'dist', 'index.node.js');
export const distCjs = path.join(sdkRoot, 'dist', 'index.node.cjs');
// What browsers and bundlers for the web resolve it to (the `browser` condition).
export const distBrowser = path.join(sdkRoot, 'dist', 'index.browser.js');
// Workers and any runtime no other condition matches.
export const distDefault = path.join(sdkRoot, 'dist', 'index.js');
export const fixturesDir = path.join(sdkRoot, 'test', 'fixtures');

/** A fixture datafile (test/fixtures, described in its README) with its ODP host pointed at a test server. */
export function fixtureDatafile(name: string, host?: string): Record<string, unknown> {
  const df = JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as {
    integrations?: Array<Record<string, unknown>>;
  };
  if (host !== undefined && df.integrations?.[0]) df.integrations[0].host = host;
  return df;
}
