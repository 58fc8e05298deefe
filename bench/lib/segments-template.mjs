// The pre-filled SQLite template of the segments benchmark, cached between runs (also used by bench/postgres for its
// SQLite comparison at the same data size).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchTmp, libDir, log, repoRoot } from './paths.mjs';
import { runNodeJson } from './processes.mjs';
import { GENERATOR_VERSION } from './segments-data.mjs';
import { dbBytes, rmDir } from './sqlite-files.mjs';

const CACHE_MAX_AGE_MS = 2 * 86_400_000;

function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 10);
}

/**
 * The pre-filled template DB for (generator version, sizes, SQLite schema source), built once through the server's ingestion endpoint
 * and kept in bench/.bench-tmp/segments-cache/ (regenerated when older than 2 days, since segment windows are
 * relative to the time of the pre-fill).
 */
export function cachedTemplate(server, opts) {
  const schemaHash = hashFiles([join(repoRoot, 'packages/server/src/store/sqlite/schema.ts')]);
  const key = `v${GENERATOR_VERSION}-${opts.customers}c-${opts.events}e-schema${schemaHash}`;
  const dir = join(benchTmp, 'segments-cache', key);
  const db = join(dir, 'odpkit.db');
  const metaFile = join(dir, 'prefill.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    if (Date.now() - meta.now < CACHE_MAX_AGE_MS) {
      log(`using the cached pre-filled DB ${dir} (built ${new Date(meta.now).toISOString()})`);
      return { db, ...meta, cached: true, key };
    }
  }
  // Drop stale templates of the same size (older generator or schema): they are large.
  const root = join(benchTmp, 'segments-cache');
  if (existsSync(root)) {
    for (const d of readdirSync(root)) if (d.includes(`-${opts.customers}c-${opts.events}e-`)) rmDir(join(root, d));
  }
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  log(
    `pre-filling ${opts.events} events for ${opts.customers} customers through the server's ingestion endpoint into ${dir}`,
  );
  const r = runNodeJson(join(libDir, 'segments-prefill.mjs'), [
    JSON.stringify({ db, customers: opts.customers, events: opts.events, now, batchSize: 100 }),
  ]);
  const meta = { ...r, now, bytes: dbBytes(db), serverCommit: server.commit };
  writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  log(`pre-filled ${r.stored} events, ${r.customers} customers in ${r.seconds.toFixed(1)} s`);
  return { db, ...meta, cached: false, key };
}
