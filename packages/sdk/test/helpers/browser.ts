import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { serve } from '../../../cli/test/helpers.js';
import { sdkRoot } from './paths.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/** Locally a missing browser skips (loudly); in CI it is a failure, so the browser path is never silently untested. */
export const skipBrowser = !hasChromium && !process.env.CI;
if (skipBrowser) {
  console.warn(`\n*** browser tests SKIPPED: ${CHROMIUM} not found (install Debian chromium; CI fails here) ***\n`);
}

export function launchChromium(): Promise<Browser> {
  if (!hasChromium) throw new Error(`browser test cannot run: ${CHROMIUM} not found (CI must install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A temp project whose node_modules/@odpkit/sdk is this package (built dist), as an application would install it. */
export function tempProject(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'odpkit-page-'));
  mkdirSync(path.join(dir, 'node_modules', '@odpkit'), { recursive: true });
  symlinkSync(sdkRoot, path.join(dir, 'node_modules', '@odpkit', 'sdk'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bundles `source` (an ES module importing '@odpkit/sdk…') for the browser with esbuild, as an application would. */
export async function bundleForBrowser(projectDir: string, name: string, source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: projectDir, sourcefile: `${name}.js` },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

export interface Site {
  url: string;
  close(): Promise<void>;
}

/** Serves pages: each path maps to a script; the page is a module script that runs it. */
export async function startSite(scripts: Record<string, string>): Promise<Site> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('.js') && scripts[url.pathname.slice(1, -3)] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      res.end(scripts[url.pathname.slice(1, -3)]);
      return;
    }
    const name = url.pathname.slice(1);
    if (scripts[name] === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(
      `<!doctype html><meta charset="utf-8"><title>${name}</title><script type="module" src="/${name}.js"></script>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Odpkit {
  url: string;
  publicKey: string;
  privateKey: string;
  dbFile: string;
  admin<T>(method: 'GET' | 'PUT', pathAndQuery: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** A real `odpkit serve` from the built CLI (the CLI tests' launcher), on an ephemeral port and a fresh SQLite file. */
export async function startOdpkit(): Promise<Odpkit> {
  const served = await serve(['--public-key', 'pk_x', '--private-key', 'sk_x']);
  const { url, publicKey, privateKey } = served;
  return {
    url,
    publicKey,
    privateKey,
    dbFile: path.join(served.dir, 'odpkit.db'),
    async admin<T>(method: 'GET' | 'PUT', pathAndQuery: string, body?: unknown) {
      const res = await fetch(`${url}${pathAndQuery}`, {
        method,
        headers: { 'x-api-key': privateKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    stop: () => served.stop(),
  };
}

/** Polls until `read` returns a value `ready` accepts, or gives up after `ms` and returns the last value. */
export async function settle<T>(read: () => Promise<T>, ready: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!ready(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}
