import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IngestBatch, openSqliteStore, type Store } from '@odpkit/server';
import { expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';
import { parseSegmentDefinition } from '../src/segments/definition.js';
import { evaluate } from '../src/segments/evaluate.js';
import { SegmentService } from '../src/segments/service.js';
import type { CustomerView } from '../src/segments/types.js';

/**
 * Segment answers from state against the history evaluator (the reference): random definitions, random histories
 * with merges, random clocks, definitions changed while events arrive and the rebuild advances a few events at a
 * time. Every answer at every step must be the reference's. Run against each store driver.
 */

export type OpenStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** A fresh SQLite file store (with its writer thread, as the server runs it), removed by cleanup. */
export const openSqlite: OpenStore = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'odpkit-state-'));
  const store = openSqliteStore(join(dir, 'odp.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 5, 1);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IDENTIFIERS: Record<string, string[]> = {
  fs_user_id: ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'],
  email: ['e0@x.io', 'e1@x.io', 'e2@x.io', 'e3@x.io'],
  crm_id: ['c0', 'c1', 'c2'],
  vuid: ['v0', 'v1', 'v2', 'v3'],
};

export function generator(seed: number) {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;

  function leaf(): unknown {
    const event: Record<string, unknown> = {};
    if (r() < 0.6) event['action'] = pick(['a', 'b', 'c']);
    if (r() < 0.3) event['type'] = pick(['t1', 't2']);
    if (r() < 0.4) {
      event['where'] = {
        p: pick([{ gte: 3 }, { lt: 5 }, { eq: 2 }, { in: [1, 4] }, { exists: true }, { exists: false }, { ne: 3 }]),
      };
    }
    const cond: Record<string, unknown> = { event };
    const c = r();
    // Bounds up to about the number of events a customer has, so that one event too many or too few shows.
    if (c < 0.3) cond['count'] = { gte: int(0, 12) };
    else if (c < 0.5) cond['count'] = { lte: int(0, 10) };
    else if (c < 0.65) {
      const g = int(0, 8);
      cond['count'] = { gte: g, lte: g + int(0, 4) };
    }
    if (r() < 0.6) cond['within'] = pick(['30m', '2h', '1d', '3d']);
    return cond;
  }

  function condition(depth = 0): unknown {
    const c = r();
    if (c < 0.1) return { identifier: pick(Object.keys(IDENTIFIERS)) };
    if (c < 0.55 || depth >= 3) return leaf();
    if (c < 0.7) return { not: condition(depth + 1) };
    const subs = Array.from({ length: int(1, 3) }, () => condition(depth + 1));
    return c < 0.85 ? { and: subs } : { or: subs };
  }

  function event(): unknown {
    const identifiers: Record<string, string> = {};
    const types = Object.keys(IDENTIFIERS);
    const n = int(1, 2);
    for (let i = 0; i < n; i++) {
      const type = pick(types);
      identifiers[type] = pick(IDENTIFIERS[type] as string[]);
    }
    const data: Record<string, unknown> = { idempotence_id: randomUUID() };
    const p = r();
    if (p < 0.7) data['p'] = int(0, 6);
    else if (p < 0.8) data['p'] = '3';
    else if (p < 0.9) data['p'] = null;
    return { type: pick(['t1', 't2']), action: pick(['a', 'b', 'c']), identifiers, data };
  }

  function batch(accountId: string): IngestBatch {
    const v = validateBatch(Array.from({ length: int(1, 4) }, event));
    if (!v.ok) throw new Error('generated an invalid event');
    return { accountId, receivedAt: BASE + int(0, 96) * HOUR + int(0, 3) * 60_000, events: v.events };
  }

  return { r, int, pick, condition, batch, clock: () => BASE + int(-2, 100) * HOUR + int(0, 59) * 60_000 };
}

async function customersOf(store: Store, accountId: string): Promise<CustomerView[]> {
  const seen = new Map<string, CustomerView>();
  for (const [type, values] of Object.entries(IDENTIFIERS)) {
    for (const value of values) {
      const c = await store.lookupCustomer(accountId, type, value);
      if (c !== null) seen.set(c.customerId, c);
    }
  }
  return [...seen.values()];
}

/** Every customer's answer for every segment, from the service and from the history evaluator: equal. */
export async function expectReferenceAnswers(store: Store, service: SegmentService, accountId: string, now: number) {
  const definitions = await store.listSegmentDefinitions(accountId);
  for (const customer of await customersOf(store, accountId)) {
    const events = await store.customerEvents(accountId, customer.customerId);
    const expected = definitions
      .map((row) => {
        const parsed = parseSegmentDefinition(row.definition);
        if (!parsed.ok) throw new Error('stored definition does not parse');
        const input = { identifiers: customer.identifiers, events, now };
        return { name: row.name, state: evaluate(parsed.value.condition, input) ? 'qualified' : 'not_qualified' };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const actual = (await service.statesFor(accountId, customer, null, now)).map((s) => ({
      name: s.name,
      state: s.state,
    }));
    expect(actual, `customer ${customer.customerId} at ${new Date(now).toISOString()}`).toEqual(expected);
  }
}

export function stateDifferentialCases(open: OpenStore, seeds: number[]): void {
  for (const seed of seeds) {
    it(`answers from state exactly as from history (seed ${seed})`, async () => {
      const { store, cleanup } = await open();
      try {
        const g = generator(seed);
        const accountId = (
          await store.createAccount({ publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` })
        ).id;
        // Another account's events and segments must change nothing here.
        const other = (await store.createAccount({ publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` }))
          .id;
        const service = new SegmentService(store, { definitionsTtlMs: 0 });
        const put = async (account: string, name: string) => {
          const parsed = parseSegmentDefinition({ name, condition: g.condition() });
          if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
          await service.put(account, parsed.value);
        };

        // Defined before any event: ready at once, kept by ingestion alone.
        for (let i = 0; i < 4; i++) await put(accountId, `early${i}`);
        await put(other, 'other0');
        for (let i = 0; i < 25; i++) await store.ingest([g.batch(accountId), g.batch(other)]);
        expect((await service.list(accountId)).map((s) => s.state)).toEqual(['ready', 'ready', 'ready', 'ready']);
        await expectReferenceAnswers(store, service, accountId, g.clock());

        // Defined over a history: built a few events at a time while more events (and merges) arrive.
        for (let round = 0; round < 3; round++) {
          await put(accountId, `late${round}`);
          await put(accountId, `early${g.int(0, 3)}`); // replaced: its new leaves are built too
          if (round === 2) await service.delete(accountId, 'late0');
          for (let i = 0; i < 30; i++) {
            const c = g.r();
            if (c < 0.45) await store.ingest([g.batch(accountId)]);
            else if (c < 0.85) await store.buildSegmentState(g.int(1, 7));
            else await expectReferenceAnswers(store, service, accountId, g.clock());
          }
          await expectReferenceAnswers(store, service, accountId, g.clock());
        }
        await service.buildStateNow();
        const listed = await service.list(accountId);
        expect(listed.map((s) => s.state)).toEqual(listed.map(() => 'ready'));
        for (let i = 0; i < 5; i++) await expectReferenceAnswers(store, service, accountId, g.clock());
        expect((await store.buildSegmentState(100)).pending).toBe(false);
      } finally {
        await cleanup();
      }
    });
  }
}
