import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IngestBatch, openSqliteStore, openStore, type Store } from '@odpkit/server';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_IDENTIFIERS_PER_CUSTOMER } from '../src/ingest/stitch.js';
import { validateBatch } from '../src/ingest/validate.js';
import { createTestSchema, describePg, type TestSchema } from './helpers/pg.js';

/**
 * Differential test: one random stream, ingested in the same groups into a SQLite store and a PostgreSQL store, must
 * give the same outcomes per batch and the same graph, customer for customer (ids included: both allocate them in
 * creation order). The stream is dense in collisions on purpose: a few values per identifier type, shared vuids,
 * conflicting fs_user_ids, fs_user_ids meeting shared emails in random order, a customer collecting more than 25
 * emails, customers filling up the per-customer cap with wide events and then being linked, placeholders (invisible
 * characters, full-width forms, templates), lone surrogates, repeated idempotence ids within a batch, across batches
 * of one group and across groups, and events without one.
 */

const ACCOUNT_KEYS = { publicKey: 'pk_diff', privateKey: 'sk_diff' };
const GROUPS = 100;

// A seeded generator, so a failure can be replayed by its seed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random events pick their values from a window of 8 values per type that slides along as the stream goes on, so new
 * customers keep appearing and being linked (merged) with the ones before them.
 */
const TYPES = ['fs_user_id', 'email', 'vuid', 'crm_id'] as const;
const WINDOW = 8;
const SLIDE_EVERY = 3;
const identifierValue = (type: string, i: number) =>
  type === 'email' ? `e${i}@d.io` : type === 'vuid' ? `vuid_${i}` : `${type}-${i}`;
const HUB_EMAILS = 100;
const SHARED_EMAILS = ['shared@d.io', 'Test@Test.com'];
const WIDE_PEOPLE = 6;
// biome-ignore lint/suspicious/noTemplateCurlyInString: the unfilled template is a value under test
const PLACEHOLDERS = ['(null)', 'N/A', '{{email}}', '${userId}', 'null\u200b', 'ｎｕｌｌ', 'nu\u0000ll', '<nil>'];
const SURROGATES = ['sur\udc00', 'sur\udc01', '\ud800'];

function universe(): [string, string][] {
  const ids: [string, string][] = [['fs_user_id', 'hub']];
  for (const type of TYPES)
    for (let i = 0; i < GROUPS / SLIDE_EVERY + WINDOW; i++) ids.push([type, identifierValue(type, i)]);
  for (let i = 0; i < HUB_EMAILS; i++) ids.push(['email', `hub${i}@d.io`]);
  for (const e of SHARED_EMAILS) ids.push(['email', e]);
  for (let p = 0; p < WIDE_PEOPLE; p++) {
    ids.push(['fs_user_id', `wide-${p}`]);
    for (let k = 0; k < 60; k++) ids.push([`wide_key_${k}`, `w${p}`]);
  }
  for (const v of [...PLACEHOLDERS, ...SURROGATES]) ids.push(['fs_user_id', v]);
  return ids;
}

function stream(seed: number): unknown[][][] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
  const seen: unknown[] = [];
  let hub = 0;
  let group = 0;
  const oneEvent = (): unknown => {
    const x = r();
    if (x < 0.08 && seen.length > 0) return pick(seen); // a retried event
    const identifiers: Record<string, string> = {};
    if (x < 0.15) {
      identifiers['fs_user_id'] = 'hub'; // collects emails past the cap of 25
      identifiers['email'] = `hub${hub++}@d.io`;
    } else if (x < 0.25) {
      // fs_user_ids (and anonymous vuids) meeting a shared email, in whatever order the stream gives.
      const type = pick(['fs_user_id', 'vuid'] as const);
      identifiers[type] = identifierValue(type, Math.floor(group / SLIDE_EVERY) + Math.floor(r() * WINDOW));
      identifiers['email'] = pick(SHARED_EMAILS);
    } else if (x < 0.3) {
      // Wide events: 50 keys for one of a few people (fills the per-customer cap), sometimes linked to a window value.
      const p = Math.floor(r() * WIDE_PEOPLE);
      if (r() < 0.5) identifiers['fs_user_id'] = `wide-${p}`;
      else
        identifiers['crm_id'] = identifierValue('crm_id', Math.floor(group / SLIDE_EVERY) + Math.floor(r() * WINDOW));
      const from = Math.floor(r() * 20);
      for (let k = from; Object.keys(identifiers).length < 50; k++) identifiers[`wide_key_${k}`] = `w${p}`;
    } else if (x < 0.33) {
      identifiers['fs_user_id'] = pick([...PLACEHOLDERS, ...SURROGATES]);
      identifiers['email'] = identifierValue('email', Math.floor(group / SLIDE_EVERY) + Math.floor(r() * WINDOW));
    } else {
      const n = 1 + Math.floor(r() * 3);
      for (let i = 0; i < n; i++) {
        const type = pick(TYPES);
        identifiers[type] = identifierValue(type, Math.floor(group / SLIDE_EVERY) + Math.floor(r() * WINDOW));
      }
      if (r() < 0.05) identifiers['email'] = 'undefined';
    }
    const data: Record<string, unknown> = { n: r() };
    if (r() < 0.9) data['idempotence_id'] = randomUUID();
    const ev = { type: 'fullstack', action: pick(['seen', 'purchased']), identifiers, data };
    seen.push(ev);
    return ev;
  };
  return Array.from({ length: GROUPS }, (_, g) => {
    group = g;
    return Array.from({ length: 1 + Math.floor(r() * 4) }, () =>
      Array.from({ length: 1 + Math.floor(r() * 20) }, oneEvent),
    );
  });
}

interface Refusal {
  kept_customer: number | string;
  refused_customer: number | string;
  type: string;
}
const refusalText = (r: Refusal) => `${r.kept_customer} ${r.refused_customer} ${r.type}`;

describePg('PostgreSQL and SQLite stores give the same results', () => {
  let schema: TestSchema;
  let dir: string;
  let pg: Store;
  let lite: Store;
  let pgAccount: string;
  let liteAccount: string;

  beforeAll(async () => {
    schema = await createTestSchema();
    dir = mkdtempSync(join(tmpdir(), 'odpkit-pg-diff-'));
    const now = () => 1_700_000_000_000;
    pg = await openStore(schema.url, { now });
    lite = openSqliteStore(join(dir, 'odpkit.db'), { now });
    pgAccount = (await pg.createAccount(ACCOUNT_KEYS)).id;
    liteAccount = (await lite.createAccount(ACCOUNT_KEYS)).id;
  });
  afterAll(async () => {
    await pg?.close();
    await lite?.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('for a random stream full of merges, refusals, vuid moves, caps and duplicates', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const groups = stream(seed);
    let clock = 1_700_000_000_000;
    for (const [g, group] of groups.entries()) {
      const batches = (account: string): IngestBatch[] =>
        group.map((events) => {
          const v = validateBatch(events);
          if (!v.ok) throw new Error(JSON.stringify(v.invalids));
          return { accountId: account, receivedAt: clock, events: v.events };
        });
      clock += 1000;
      const [a, b] = await Promise.all([pg.ingest(batches(pgAccount)), lite.ingest(batches(liteAccount))]);
      expect(a, `seed ${seed}, group ${g}`).toEqual(b);
    }

    for (const [type, value] of universe()) {
      const [a, b] = await Promise.all([
        pg.lookupCustomer(pgAccount, type, value),
        lite.lookupCustomer(liteAccount, type, value),
      ]);
      expect(a, `seed ${seed}, ${type}=${value}`).toEqual(b);
      // The rules themselves, not only agreement: one fs_user_id per customer, and the per-customer cap.
      expect(b?.identifiers['fs_user_id']?.length ?? 0, `seed ${seed}, ${type}=${value}`).toBeLessThanOrEqual(1);
      const held = Object.values(b?.identifiers ?? {}).reduce((n, v) => n + v.length, 0);
      expect(held, `seed ${seed}, ${type}=${value}`).toBeLessThanOrEqual(MAX_IDENTIFIERS_PER_CUSTOMER);
    }
    const maxId = Number((await schema.query<{ m: string }>('SELECT max(id) AS m FROM customers'))[0]?.m);
    for (let id = 1; id <= maxId + 1; id++) {
      const [a, b] = await Promise.all([
        pg.customerEvents(pgAccount, String(id)),
        lite.customerEvents(liteAccount, String(id)),
      ]);
      expect(a, `seed ${seed}, customer ${id}`).toEqual(b);
      expect(await pg.customerEventCount(pgAccount, String(id))).toBe(b.length);
    }
    const stats = await lite.accountStats(liteAccount);
    expect(await pg.accountStats(pgAccount)).toEqual(stats);
    // Every refusal is recorded alike, with the same reason: the type both customers held, or the cap ('').
    const refusals =
      'SELECT kept_customer, refused_customer, type FROM refused_merges WHERE account_id = $1 ORDER BY id';
    const pgRefusals = (await schema.query<Refusal>(refusals, [pgAccount])).map(refusalText);
    const liteDb = new Database(join(dir, 'odpkit.db'), { readonly: true });
    const liteRefusals = (liteDb.prepare(refusals.replace('$1', '?')).all(Number(liteAccount)) as Refusal[]).map(
      refusalText,
    );
    liteDb.close();
    expect(pgRefusals, `seed ${seed}`).toEqual(liteRefusals);
    // The stream did reach the rules it is built for: merges, and refusals for two fs_user_ids, two emails and two
    // values of one custom key.
    expect(stats.merges, `seed ${seed}`).toBeGreaterThan(0);
    expect(stats.refusedMerges, `seed ${seed}`).toBe(liteRefusals.length);
    const reasons = new Set(liteRefusals.map((r) => r.split(' ')[2]));
    for (const type of ['fs_user_id', 'email', 'crm_id']) expect(reasons, `seed ${seed}`).toContain(type);
  });
});
