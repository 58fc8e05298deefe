// How long the worst identity input holds the SQLite writer (the one connection every account's events wait for).
// Through the store directly, so the figures are the write transactions alone:
//   1. one event carrying fs_user_id "victim" and 100,000 distinct custom identifier keys (about 1.5 MB of JSON;
//      the HTTP route now refuses it, and the per-customer cap must hold even if it got through);
//   2. then 50 small events for that customer, each with a new email, one transaction each (what stitching pays
//      for every later event of a customer with a huge identity set).
// Prints whether validateBatch accepts the big event, identities stored, and the transaction times.
// Usage: npm run build -w @odpkit/server && flock /tmp/odpkit-bench.lock node packages/server/scripts/identity-writer-hold.mjs [dist dir]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const distDir = resolve(process.argv[2] ?? new URL('../dist', import.meta.url).pathname);
const { openSqliteStore, validateBatch } = await import(pathToFileURL(join(distDir, 'index.js')).href);

const KEYS = 100_000;
const SMALL = 50;

const dir = mkdtempSync(join(tmpdir(), 'odpkit-identity-hold-'));
const store = openSqliteStore(join(dir, 'odpkit.db'));
try {
  const account = (await store.createAccount({ publicKey: 'pk_hold', privateKey: 'sk_hold' })).id;
  const identifiers = { fs_user_id: 'victim' };
  for (let i = 0; i < KEYS; i++) identifiers[`custom_key_${i}`] = `v${i}`;
  const big = { type: 'fullstack', action: 'seen', identifiers, data: { idempotence_id: randomUUID() } };
  console.log(`big event: ${JSON.stringify(big).length} bytes of JSON, ${KEYS + 1} identifier keys`);
  const checked = validateBatch([big]);
  console.log(`validateBatch: ${checked.ok ? 'accepted' : `refused: ${checked.invalids[0].message}`}`);

  // The big event as the store would have received it before validation refused it.
  const prepared = validateBatchUnchecked(big);
  let t = performance.now();
  const [outcome] = await store.ingest([{ accountId: account, receivedAt: Date.now(), events: [prepared] }]);
  console.log(`big event transaction: ${(performance.now() - t).toFixed(1)} ms, outcome ${JSON.stringify(outcome)}`);
  const victim = await store.lookupCustomer(account, 'fs_user_id', 'victim');
  const held = Object.values(victim?.identifiers ?? {}).reduce((n, v) => n + v.length, 0);
  console.log(`identities on the customer: ${held}`);

  const times = [];
  for (let i = 0; i < SMALL; i++) {
    const ev = {
      type: 'fullstack',
      action: 'seen',
      identifiers: { fs_user_id: 'victim', email: `v${i}@x.io` },
      data: {},
    };
    const v = validateBatch([ev]);
    t = performance.now();
    await store.ingest([{ accountId: account, receivedAt: Date.now(), events: v.events }]);
    times.push(performance.now() - t);
  }
  const total = times.reduce((a, b) => a + b, 0);
  console.log(
    `${SMALL} small events for that customer: ${total.toFixed(1)} ms in all, max ${Math.max(...times).toFixed(1)} ms, median ${times.sort((a, b) => a - b)[SMALL / 2].toFixed(1)} ms`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The big event prepared in batches of keys small enough for validation, then joined: what the store got before. */
function validateBatchUnchecked(ev) {
  const keys = Object.keys(ev.identifiers);
  const identities = [];
  let ignored = 0;
  for (let i = 0; i < keys.length; i += 40) {
    const part = Object.fromEntries(keys.slice(i, i + 40).map((k) => [k, ev.identifiers[k]]));
    const v = validateBatch([{ type: ev.type, action: ev.action, identifiers: part, data: {} }]);
    identities.push(...v.events[0].identities);
    ignored += v.events[0].ignoredIdentifiers;
  }
  return {
    type: ev.type,
    action: ev.action,
    identifiersJson: JSON.stringify(ev.identifiers),
    dataJson: JSON.stringify(ev.data),
    identities,
    ignoredIdentifiers: ignored,
    idempotenceId: ev.data.idempotence_id,
  };
}
