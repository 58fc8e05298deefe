import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleForBrowser,
  launchChromium,
  type Odpkit,
  type Site,
  settle,
  skipBrowser,
  startOdpkit,
  startSite,
  tempProject,
} from './helpers/browser.js';

// Pages built with esbuild from the package (its `browser` export), talking to a real `odpkit serve` on another
// origin. Each page sends and leaves at once; every event must be stored exactly once (the server keeps one row per
// idempotence_id, so an event sent twice is not counted twice, and a lost one is missing).

const PAGE = `
import { createOdpClient } from '@odpkit/sdk';
const q = new URLSearchParams(location.search);
const host = q.get('host');
const user = q.get('user');
const per = Number(q.get('per') ?? '3');
const pad = 'x'.repeat(Number(q.get('pad') ?? '0'));
const total = Number(q.get('total') ?? '1');
const mode = q.get('mode');
const client = createOdpClient({ odp: { apiKey: 'pk_x', apiHost: host }, logLevel: 'error' });
let step = Number(q.get('step') ?? '0');
if (mode === 'reload') {
  step = Number(sessionStorage.getItem('step') ?? '0');
  sessionStorage.setItem('step', String(step + 1));
}
if (mode !== 'final') {
  for (let i = 0; i < per; i++) client.sendOdpEvent('nav', { fs_user_id: user }, undefined, { step, i, pad });
}
const next = (s) => { const n = new URL(location.href); n.searchParams.set('step', String(s)); return n.href; };
if (mode === 'navigate' && step + 1 < total) location.href = next(step + 1);
else if (mode === 'reload' && step + 1 < total) location.reload();
else if (mode === 'close') window.__sent = true;
else {
  // The last page: what earlier pages kept is restored by createOdpClient; close() delivers it with its own.
  window.__summary = await client.close();
  document.title = 'done';
}
`;

const VISITOR = `
import { createOdpClient } from '@odpkit/sdk';
import { fetchQualifiedSegments } from '@odpkit/sdk/segments';
const q = new URLSearchParams(location.search);
const client = createOdpClient({
  odp: { apiKey: 'pk_x', apiHost: q.get('host'), segmentsToCheck: ['browsed_then_bought'] },
  vuid: true,
  logLevel: 'error',
});
const step = Number(q.get('step'));
const login = q.get('login');
if (step < 3) {
  // Anonymous: no identifiers of its own; the visitor id is attached.
  client.sendOdpEvent({ action: 'page_view', identifiers: {}, data: { step } });
  const n = new URL(location.href);
  n.searchParams.set('step', String(step + 1));
  location.href = n.href;
} else {
  const before = await fetchQualifiedSegments(client);
  client.identifyUser({ fs_user_id: login });
  client.sendOdpEvent('purchase', { fs_user_id: login });
  await client.flush();
  window.__result = { vuid: client.vuid, stored: localStorage.getItem('optimizely-vuid'), before };
  document.title = 'done';
}
`;

// The application's own keepalive request holds (almost) all of the page's 64 KiB budget, so the browser refuses
// a keepalive request of the SDK: the retry must go without keepalive.
const BUSY = `
import { createOdpClient } from '@odpkit/sdk';
const q = new URLSearchParams(location.search);
fetch(q.get('hang'), { method: 'POST', body: 'x'.repeat(65000), keepalive: true, mode: 'no-cors' }).catch(() => {});
const client = createOdpClient({ odp: { apiKey: 'pk_x', apiHost: q.get('host') }, retryBaseDelay: 10, logLevel: 'silent' });
for (let i = 0; i < 5; i++) client.sendOdpEvent('busy', { fs_user_id: 'busy-user' }, undefined, { i });
window.__summary = await client.close();
document.title = 'done';
`;

let browser: Browser;
let odp: Odpkit;
let site: Site;
let project: ReturnType<typeof tempProject>;

beforeAll(async () => {
  if (skipBrowser) return;
  project = tempProject();
  const [page, visitor, busy] = await Promise.all([
    bundleForBrowser(project.dir, 'page', PAGE),
    bundleForBrowser(project.dir, 'visitor', VISITOR),
    bundleForBrowser(project.dir, 'busy', BUSY),
  ]);
  [odp, site, browser] = await Promise.all([startOdpkit(), startSite({ page, visitor, busy }), launchChromium()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([browser?.close(), odp?.stop(), site?.close()]);
  project?.remove();
});

async function storedEvents(user: string): Promise<number> {
  const res = await odp.admin<{ event_count: number }>('GET', `/admin/v1/customers?key=fs_user_id&value=${user}`);
  return res.status === 200 ? res.body.event_count : 0;
}

function pageUrl(params: Record<string, string | number>): string {
  const q = new URLSearchParams({
    host: odp.url,
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
  });
  return `${site.url}/page?${q}`;
}

describe.skipIf(skipBrowser)('browser lifecycle: events survive the page', () => {
  it('40 pages that each send 3 events and navigate away at once: all 120 arrive exactly once', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(pageUrl({ mode: 'navigate', user: 'nav-user', total: 40, per: 3 }));
    await tab.waitForFunction(() => document.title === 'done', undefined, { timeout: 30_000 });
    const count = await settle(
      () => storedEvents('nav-user'),
      (n) => n >= 120,
    );
    expect(errors).toEqual([]);
    expect(count).toBe(120);
    await context.close();
  }, 60_000);

  it('30 reloads, each right after sending: all 90 arrive exactly once', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(pageUrl({ mode: 'reload', user: 'reload-user', total: 30, per: 3 }));
    await tab.waitForFunction(() => document.title === 'done', undefined, { timeout: 30_000 });
    expect(
      await settle(
        () => storedEvents('reload-user'),
        (n) => n >= 90,
      ),
    ).toBe(90);
    await context.close();
  }, 60_000);

  it('30 tabs closed right after sending, then one more visit: all 90 arrive exactly once', async () => {
    const context = await browser.newContext();
    for (let step = 0; step < 30; step++) {
      const tab = await context.newPage();
      await tab.goto(pageUrl({ mode: 'close', user: 'close-user', step, per: 3 }));
      await tab.waitForFunction(() => (window as { __sent?: boolean }).__sent === true);
      await tab.close();
    }
    // Whatever a closed tab could not send was kept in localStorage; the next page of the site sends it.
    const last = await context.newPage();
    await last.goto(pageUrl({ mode: 'final', user: 'close-user' }));
    await last.waitForFunction(() => document.title === 'done');
    expect(
      await settle(
        () => storedEvents('close-user'),
        (n) => n >= 90,
      ),
    ).toBe(90);
    await context.close();
  }, 60_000);

  it('a page leaving with 150 KB queued: 64 KiB leaves with keepalive, the rest is kept and sent by the next page', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    // 150 events of ~1.2 KB: far over the keepalive budget, within the localStorage bound.
    await tab.goto(pageUrl({ mode: 'navigate', user: 'big-user', total: 2, per: 150, pad: 1000 }));
    await tab.waitForFunction(() => document.title === 'done', undefined, { timeout: 30_000 });
    const summary = (await tab.evaluate(() => (window as { __summary?: unknown }).__summary)) as { sent: number };
    // The second page sent its own 150 and what the first one kept.
    expect(summary.sent).toBeGreaterThan(150);
    expect(
      await settle(
        () => storedEvents('big-user'),
        (n) => n >= 300,
      ),
    ).toBe(300);
    expect(await tab.evaluate(() => localStorage.getItem('odpkit-pending-events'))).toBeNull();
    await context.close();
  }, 60_000);

  it('a visitor browses anonymously, then logs in: one customer whose segments reflect both', async () => {
    const seg = await odp.admin('PUT', '/admin/v1/segments/browsed_then_bought', {
      condition: {
        and: [{ event: { action: 'page_view' }, count: { gte: 3 } }, { event: { action: 'purchase' } }],
      },
    });
    expect(seg.status).toBe(201);
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${site.url}/visitor?${new URLSearchParams({ host: odp.url, step: '0', login: 'alice' })}`);
    await tab.waitForFunction(() => document.title === 'done', undefined, { timeout: 30_000 });
    const r = (await tab.evaluate(() => (window as { __result?: unknown }).__result)) as {
      vuid: string;
      stored: string;
      before: { ok: boolean; segments?: string[] };
    };
    // The official SDK's format and storage: vuid_ + 27 lower-case hex digits, JSON-encoded under optimizely-vuid.
    expect(r.vuid).toMatch(/^vuid_[0-9a-f]{27}$/);
    expect(r.stored).toBe(JSON.stringify(r.vuid));
    const customer = await settle(
      () =>
        odp.admin<{ identifiers: Record<string, string[]>; segments: string[] }>(
          'GET',
          '/admin/v1/customers?key=fs_user_id&value=alice',
        ),
      (res) => res.status === 200 && res.body.segments.includes('browsed_then_bought'),
    );
    expect(customer.body.identifiers.vuid).toEqual([r.vuid]);
    expect(customer.body.segments).toContain('browsed_then_bought');
    // Asked by the visitor id, the same customer: one profile, not two.
    const byVuid = await odp.admin<{ customer_id: unknown }>('GET', `/admin/v1/customers?key=vuid&value=${r.vuid}`);
    expect(byVuid.body.customer_id).toEqual((customer.body as unknown as { customer_id: unknown }).customer_id);
    await context.close();
  }, 60_000);

  it('when the application holds the keepalive budget, the SDK retries without keepalive and delivers', async () => {
    // Accepts requests and never answers them: the application's keepalive request stays in flight.
    const hang = http.createServer(() => {});
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/hang`;
    try {
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(`${site.url}/busy?${new URLSearchParams({ host: odp.url, hang: hangUrl })}`);
      await tab.waitForFunction(() => document.title === 'done', undefined, { timeout: 30_000 });
      const summary = await tab.evaluate(() => (window as { __summary?: unknown }).__summary);
      expect(summary).toMatchObject({ sent: 5, failed: 0 });
      expect(await storedEvents('busy-user')).toBe(5);
      await context.close();
    } finally {
      hang.closeAllConnections();
      hang.close();
    }
  }, 60_000);
});
