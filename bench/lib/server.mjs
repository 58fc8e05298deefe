// The built server under test: a snapshot of packages/server/dist per run, and server nodes in child processes.
// Only the server's public API is used (startServer, openStore, … as exported by @odpkit/server).

import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { benchTmp, libDir, repoRoot } from './paths.mjs';
import { forkReady, stopChild } from './processes.mjs';

/**
 * Copies packages/server/dist/*.js into bench/.bench-tmp so that a rebuild by someone else during the run cannot
 * change the server between reps, and points ODPKIT_SERVER_MODULE (read by every child) at the copy.
 * Returns { module, dir, commit }.
 */
export function snapshotServer(tag) {
  const dist = join(repoRoot, 'packages', 'server', 'dist', 'index.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run npm run build -w @odpkit/server`);
  const dir = join(benchTmp, `${tag}-server-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // The whole dist folder: the bundle may be split into chunks, and the SQLite writer thread is its own entry.
  for (const f of readdirSync(dirname(dist))) if (f.endsWith('.js')) copyFileSync(join(dirname(dist), f), join(dir, f));
  let commit = 'unknown';
  try {
    commit = execSync('git log -1 --format="%h %cI" -- packages/server', { cwd: repoRoot }).toString().trim();
    const dirty = execSync('git status --porcelain -- packages/server/src', { cwd: repoRoot }).toString().trim();
    if (dirty) commit += ' + uncommitted changes in packages/server/src';
    commit += `; dist built ${new Date(statSync(dist).mtimeMs).toISOString().replace(/\.\d+Z$/, 'Z')}`;
  } catch {}
  const module = join(dir, 'index.js');
  process.env.ODPKIT_SERVER_MODULE = module;
  return { module, dir, commit };
}

/** Starts one server node. options: { db, segmentsFile?, profileDir? } → { child, url }. */
export async function startServerChild(options) {
  const execArgv = ['--no-deprecation'];
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
  }
  const { child, url } = await forkReady(
    join(libDir, 'server-child.mjs'),
    [JSON.stringify({ db: options.db, segmentsFile: options.segmentsFile })],
    { execArgv },
  );
  return { child, url };
}

export const stopServerChild = stopChild;

/**
 * Waits until every segment of the bench account ('sk') reports `state: "ready"` (its state built over the stored
 * history), polling GET /admin/v1/segments: a measurement of steady state must not include the rebuild after start.
 * Returns the seconds waited.
 */
export async function waitForSegmentsReady(url, { pollMs = 200 } = {}) {
  const t = performance.now();
  for (;;) {
    const res = await fetch(`${url}/admin/v1/segments`, { headers: { 'x-api-key': 'sk' } });
    if (res.status !== 200) throw new Error(`GET /admin/v1/segments answered ${res.status}`);
    const { segments } = await res.json();
    if (segments.every((s) => s.state === 'ready')) return (performance.now() - t) / 1000;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Starts the server under test in this process through its public API, as every benchmark runs it: 127.0.0.1, a free
 * port, keys 'pk'/'sk', no request log. `extra` adds startServer options (segmentsFile, now, …).
 */
export async function startBenchServer(db, extra = {}) {
  const { startServer } = await import(process.env.ODPKIT_SERVER_MODULE || '@odpkit/server');
  return startServer({ host: '127.0.0.1', port: 0, db, publicKey: 'pk', privateKey: 'sk', logger: false, ...extra });
}
