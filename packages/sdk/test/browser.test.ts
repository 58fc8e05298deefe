import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { sdkRoot } from './helpers/paths.js';
import { type Sink, startSink } from './helpers/sink.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// Locally a missing browser skips (loudly); in CI it is a failure, so the browser path is never silently untested.
const skip = !hasChromium && !process.env.CI;
if (skip)
  console.warn(`\n*** browser test SKIPPED: ${CHROMIUM} not found (install Debian chromium; CI fails here) ***\n`);

const sinks: Sink[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
});

describe('browser', () => {
  it.skipIf(skip)(
    'the browser build loads as a module without a bundler (dist/ served as is) and delivers events cross-origin',
    async () => {
      if (!hasChromium) throw new Error(`browser test cannot run: ${CHROMIUM} not found (CI must install chromium)`);
      const events = await startSink({ cors: true });
      sinks.push(events);
      const page = `<!doctype html><meta charset="utf-8"><script type="module">
        import { createOdpClient, SDK_VERSION } from '/sdk/index.browser.js';
        const client = createOdpClient({ odp: { apiKey: 'pk_browser', apiHost: ${JSON.stringify(events.url)} } });
        for (let i = 0; i < 25; i++) client.sendOdpEvent('page_view', { vuid: 'vuid_' + i }, undefined, { i });
        client.sendOdpEvent('', { vuid: 'x' });
        window.__result = { summary: await client.close(), version: SDK_VERSION };
      </script>`;
      const site = await startSink({
        route: (req, res) => {
          if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
          else if (req.url && /^\/sdk\/[\w.-]+\.js$/.test(req.url)) {
            // The entry and the chunks it imports, exactly as published.
            const file = path.join(sdkRoot, 'dist', req.url.slice('/sdk/'.length));
            res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
          } else res.writeHead(404).end();
          return true;
        },
      });
      sinks.push(site);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const tab = await browser.newPage();
        const pageErrors: string[] = [];
        tab.on('pageerror', (e) => pageErrors.push(String(e)));
        await tab.goto(`${site.url}/`);
        await tab.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, undefined, {
          timeout: 20_000,
        });
        const result = (await tab.evaluate(() => (window as { __result?: unknown }).__result)) as {
          summary: { sent: number; rejected: number };
          version: string;
        };
        expect(pageErrors).toEqual([]);
        expect(result.summary).toMatchObject({ sent: 25, rejected: 1, failed: 0, dropped: 0 });
        expect(events.events).toHaveLength(25);
        expect(events.requests.every((r) => r.headers['x-api-key'] === 'pk_browser')).toBe(true);
        expect(events.events[0]!.data.data_source_version).toBe(result.version);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
