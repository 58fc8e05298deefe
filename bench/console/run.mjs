// The web console's first page with a large store: how long until the overview is usable (stats shown and the chart
// drawn) in headless Chromium, against the built `odpkit serve` on SQLite holding --events events.
//
//   node bench/console/run.mjs                       full run: 1,000,000 events, writes its section of BENCHMARKS.md
//   node bench/console/run.mjs --events 2000         smoke run (prints, does not write unless --write)
//
// Needs `npm run build` first and /usr/bin/chromium. It takes the benchmark lock (/tmp/odpkit-bench.lock) itself.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { runUnderBenchLock } from '../lib/lock.mjs';
import { loadAverageText } from '../lib/machine.mjs';
import { writeSection } from '../lib/markdown.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const BIN = join(repoRoot, 'packages/cli/dist/bin.js');
const PUBLIC_KEY = 'pk_console_bench';
const PRIVATE_KEY = 'sk_console_bench';
const BATCH = 500;
const CONCURRENCY = 4;
const LOADS = 7;

function parseArgs(argv) {
  const opts = { events: 1_000_000, customers: null, write: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--events') opts.events = Number(argv[++i]);
    else if (a === '--customers') opts.customers = Number(argv[++i]);
    else if (a === '--write') opts.write = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.events > 0)) throw new Error('--events must be a positive number');
  opts.customers ??= Math.max(1, Math.floor(opts.events / 10));
  opts.write ??= opts.events >= 1_000_000;
  return opts;
}

function serve(db) {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--db', db, '--quiet', '--public-key', PUBLIC_KEY, '--private-key', PRIVATE_KEY],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((done, fail) => {
    let out = '';
    child.on('exit', (code) => fail(new Error(`odpkit serve exited (${code})`)));
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) {
        child.removeAllListeners('exit');
        done({
          url,
          stop: () =>
            new Promise((r) => {
              child.on('exit', r);
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

async function seed(url, events, customers) {
  let next = 0;
  const actions = ['viewed', 'added_to_cart', 'purchased'];
  const worker = async () => {
    while (next < events) {
      const from = next;
      next = Math.min(events, next + BATCH);
      const batch = [];
      for (let i = from; i < next; i++) {
        const c = i % customers;
        batch.push({
          type: 'fullstack',
          action: actions[i % 3],
          identifiers: { email: `c${c}@example.com`, fs_user_id: `user-${c}` },
          data: { idempotence_id: `bench-${i}`, price: i % 200 },
        });
      }
      const res = await fetch(`${url}/v3/events`, {
        method: 'POST',
        headers: { 'x-api-key': PUBLIC_KEY, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      if (res.status !== 202) throw new Error(`seeding: HTTP ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const segments = [
    { name: 'buyers', condition: { event: { action: 'purchased' } } },
    {
      name: 'big_spenders',
      condition: { event: { action: 'purchased', where: { price: { gte: 150 } } }, count: { gte: 2 } },
    },
    { name: 'recent_viewers', condition: { event: { action: 'viewed' }, within: '1d' } },
  ];
  const res = await fetch(`${url}/admin/v1/segments:apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PRIVATE_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(segments),
  });
  if (res.status !== 200) throw new Error(`segments: HTTP ${res.status}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

async function measure(url) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
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
  const results = { overview: [], customer: [], segments: [], overviewApi: [] };
  try {
    for (let i = 0; i < LOADS; i++) {
      // A fresh context each time: nothing cached, signed in as a tab that already holds the key.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript((key) => sessionStorage.setItem('odpkit.console.key', key), PRIVATE_KEY);
      const page = await context.newPage();
      let t = performance.now();
      await page.goto(`${url}/console/#/overview`);
      await page.locator('.stats').waitFor({ timeout: 60_000 });
      await page.locator('.uplot').waitFor({ timeout: 60_000 });
      results.overview.push(performance.now() - t);
      t = performance.now();
      await page.goto(`${url}/console/#/customers?key=email&value=c1%40example.com`);
      await page.locator('article.customer').waitFor({ timeout: 60_000 });
      await page.getByText('decided by').first().waitFor({ timeout: 60_000 });
      results.customer.push(performance.now() - t);
      t = performance.now();
      await page.goto(`${url}/console/#/segments`);
      await page.getByRole('button', { name: 'buyers', exact: true }).waitFor({ timeout: 60_000 });
      results.segments.push(performance.now() - t);
      await context.close();
      t = performance.now();
      const res = await fetch(`${url}/admin/v1/overview?window=day`, {
        headers: { authorization: `Bearer ${PRIVATE_KEY}` },
      });
      await res.arrayBuffer();
      results.overviewApi.push(performance.now() - t);
    }
  } finally {
    await browser.close();
  }
  return results;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // A smoke run (not written) may run beside a test suite; a measurement refuses to.
  runUnderBenchLock({ measurement: opts.write });
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  const dir = mkdtempSync(join(os.tmpdir(), 'odpkit-console-bench-'));
  const server = await serve(join(dir, 'odpkit.db'));
  try {
    const seedStart = performance.now();
    await seed(server.url, opts.events, opts.customers);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.log(
      `console bench: ${opts.events} events over ${opts.customers} customers seeded in ${seedSeconds.toFixed(1)} s`,
    );
    const r = await measure(server.url);
    const row = (name, xs) => `| ${name} | ${fmt(median(xs))} | ${fmt(Math.max(...xs))} |`;
    const command = `node bench/console/run.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
    const section = [
      '## Web console',
      '',
      `Headless Chromium against the built \`odpkit serve\` on SQLite holding ${opts.events.toLocaleString('en')} events of ` +
        `${opts.customers.toLocaleString('en')} customers and 3 segments; ${LOADS} loads, each in a fresh browser context ` +
        '(nothing cached), signed in (the key already in the tab).',
      '',
      `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; ${os.cpus().length} CPUs, Node ${process.version}, ` +
        `load average at start ${loadAverageText()}.`,
      `- Reproduce: \`npm run build && ${command}\` (it takes the benchmark lock itself).`,
      '',
      '| step | median | max |',
      '|---|---|---|',
      row('overview usable (navigation → stats shown and chart drawn)', r.overview),
      row('customer page with segment explanations (c1@example.com)', r.customer),
      row('segments page, list shown', r.segments),
      row('GET /admin/v1/overview?window=day (API alone)', r.overviewApi),
      '',
    ].join('\n');
    console.log(section);
    if (opts.write) {
      writeSection('console', section.trim());
      console.log('BENCHMARKS.md: web console section written');
    } else console.log('BENCHMARKS.md not written (smoke run; pass --write to force)');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
