import { randomUUID } from 'node:crypto';
import type { IngestBatch, PreparedEvent, Store } from '@odpkit/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';

/**
 * The contract every Store implementation must pass (SQLite and PostgreSQL): call it from a *.test.ts
 * with a factory that opens a fresh, empty store using the given clock.
 */
export type StoreFactory = (options: { now: () => number }) => Promise<{ store: Store; cleanup: () => Promise<void> }>;

function prepare(events: unknown[]): PreparedEvent[] {
  const r = validateBatch(events);
  if (!r.ok) throw new Error(`test event invalid: ${JSON.stringify(r.invalids)}`);
  return r.events;
}

const ev = (identifiers: Record<string, string>, data: Record<string, unknown> = {}, action = 'purchased') => ({
  type: 'fullstack',
  action,
  identifiers,
  data: { idempotence_id: randomUUID(), ...data },
});

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock = 1_700_000_000_000;
    let accountId: string;
    const batch = (events: unknown[], receivedAt = clock, account = accountId): IngestBatch => ({
      accountId: account,
      receivedAt,
      events: prepare(events),
    });

    beforeEach(async () => {
      clock = 1_700_000_000_000;
      ({ store, cleanup } = await factory({ now: () => clock }));
      accountId = (await store.createAccount({ publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` })).id;
    });
    afterEach(() => cleanup());

    describe('accounts', () => {
      it('finds accounts by public and by private key, and nothing by a wrong or swapped key', async () => {
        const acc = await store.createAccount({ publicKey: 'pk_contract', privateKey: 'sk_contract' });
        expect(await store.accountByPublicKey('pk_contract')).toEqual(acc);
        expect(await store.accountByPrivateKey('sk_contract')).toEqual(acc);
        expect(await store.accountByPublicKey('sk_contract')).toBeNull();
        expect(await store.accountByPrivateKey('pk_contract')).toBeNull();
        expect(await store.accountByPublicKey('')).toBeNull();
        await expect(store.createAccount({ publicKey: 'pk_contract', privateKey: 'sk_other' })).rejects.toThrow();
      });

      it('creates the default account once; given keys replace its keys, missing ones are kept', async () => {
        const first = await store.ensureDefaultAccount({}, { publicKey: 'pk_fresh1', privateKey: 'sk_fresh1' });
        expect(first).toMatchObject({ publicKey: 'pk_fresh1', privateKey: 'sk_fresh1' });
        const again = await store.ensureDefaultAccount({}, { publicKey: 'pk_fresh2', privateKey: 'sk_fresh2' });
        expect(again).toEqual(first);
        const rekeyed = await store.ensureDefaultAccount(
          { publicKey: 'pk_given' },
          { publicKey: 'x', privateKey: 'y' },
        );
        expect(rekeyed).toEqual({ id: first.id, publicKey: 'pk_given', privateKey: 'sk_fresh1' });
        expect(await store.accountByPublicKey('pk_fresh1')).toBeNull();
        expect(await store.accountByPublicKey('pk_given')).toEqual(rekeyed);
      });
    });

    describe('ingest', () => {
      it('writes several batches in one call and reports an outcome per batch', async () => {
        const outcomes = await store.ingest([
          batch([ev({ fs_user_id: 'u1' }), ev({ fs_user_id: 'u2' })]),
          batch([ev({ fs_user_id: 'undefined' })]),
        ]);
        expect(outcomes).toHaveLength(2);
        expect(outcomes[0]).toMatchObject({ stored: 2, duplicates: 0, unattributed: 0, customersCreated: 2 });
        expect(outcomes[1]).toMatchObject({ stored: 1, unattributed: 1, ignoredIdentifiers: 1, customersCreated: 0 });
        expect(await store.accountStats(accountId)).toEqual({
          customers: 2,
          events: 3,
          unattributed: 1,
          duplicates: 0,
          merges: 0,
          refusedMerges: 0,
        });
      });

      it('deduplicates on idempotence_id within a batch, across batches of one call, and across calls', async () => {
        const e = ev({ fs_user_id: 'dup' });
        const outcomes = await store.ingest([batch([e, e]), batch([e])]);
        expect(outcomes.map((o) => o.duplicates)).toEqual([1, 1]);
        expect((await store.ingest([batch([e])]))[0]!.duplicates).toBe(1);
        const c = await store.lookupCustomer(accountId, 'fs_user_id', 'dup');
        expect(await store.customerEventCount(accountId, c!.customerId)).toBe(1);
        expect((await store.accountStats(accountId)).duplicates).toBe(3);
      });

      it('keeps dedup keys per account', async () => {
        const other = (await store.createAccount({ publicKey: 'pk_o', privateKey: 'sk_o' })).id;
        const e = ev({ fs_user_id: 'same' });
        const outcomes = await store.ingest([batch([e]), batch([e], clock, other)]);
        expect(outcomes.map((o) => o.stored)).toEqual([1, 1]);
      });

      it('round-trips every data value type and the identifiers as sent', async () => {
        const e = ev(
          { ' FS-User-Id ': ' Mixed ', email: 'X@Y.io' },
          { s: 's', n: 1.5, z: 0, t: true, f: false, nil: null },
        );
        await store.ingest([batch([e], clock + 5)]);
        const c = await store.lookupCustomer(accountId, 'fs_user_id', 'Mixed');
        expect(c?.identifiers).toEqual({ email: ['x@y.io'], fs_user_id: ['Mixed'] });
        expect(await store.customerEvents(accountId, c!.customerId)).toEqual([
          { type: 'fullstack', action: 'purchased', identifiers: e.identifiers, data: e.data, receivedAt: clock + 5 },
        ]);
      });
    });

    describe('identity', () => {
      it('makes a merge visible to lookupCustomer and customerEvents as soon as ingest resolves', async () => {
        await store.ingest([batch([ev({ email: 'm@x.io' }), ev({ fs_user_id: 'm-u' })])]);
        const [o] = await store.ingest([batch([ev({ email: 'm@x.io', fs_user_id: 'm-u' })])]);
        expect(o!.merges).toBe(1);
        const a = await store.lookupCustomer(accountId, 'email', 'm@x.io');
        const b = await store.lookupCustomer(accountId, 'fs_user_id', 'm-u');
        expect(b).toEqual(a);
        expect(await store.customerEvents(accountId, a!.customerId)).toHaveLength(3);
        expect((await store.accountStats(accountId)).merges).toBe(1);
        expect((await store.accountStats(accountId)).customers).toBe(1);
      });

      it('refuses a merge of two different fs_user_ids and counts it', async () => {
        await store.ingest([batch([ev({ fs_user_id: 'r1' }), ev({ fs_user_id: 'r2', email: 'r@x.io' })])]);
        const [o] = await store.ingest([batch([ev({ fs_user_id: 'r1', email: 'r@x.io' })])]);
        expect(o).toMatchObject({ merges: 0, refusedMerges: 1 });
        expect((await store.lookupCustomer(accountId, 'fs_user_id', 'r1'))!.customerId).not.toBe(
          (await store.lookupCustomer(accountId, 'fs_user_id', 'r2'))!.customerId,
        );
        expect((await store.accountStats(accountId)).refusedMerges).toBe(1);
      });

      it('moves a vuid rather than bridging, and caps 25 values per type', async () => {
        await store.ingest([batch([ev({ fs_user_id: 'v1', vuid: 'vuid_x' }), ev({ fs_user_id: 'v2' })])]);
        const [o] = await store.ingest([batch([ev({ fs_user_id: 'v2', vuid: 'vuid_x' })])]);
        expect(o!.vuidMoves).toBe(1);
        expect((await store.lookupCustomer(accountId, 'vuid', 'vuid_x'))!.identifiers['fs_user_id']).toEqual(['v2']);
        const many = Array.from({ length: 26 }, (_, i) => ev({ fs_user_id: 'cap', email: `c${i}@x.io` }));
        const [capped] = await store.ingest([batch(many)]);
        expect(capped!.cappedIdentifiers).toBe(1);
        expect((await store.lookupCustomer(accountId, 'fs_user_id', 'cap'))!.identifiers['email']).toHaveLength(25);
      });

      it('normalises look-ups like ingestion and answers null for unknown or ignored values and foreign ids', async () => {
        await store.ingest([batch([ev({ email: 'Look@Up.io' })])]);
        expect(await store.lookupCustomer(accountId, ' EMAIL ', ' look@up.IO ')).not.toBeNull();
        expect(await store.lookupCustomer(accountId, 'email', 'nobody@up.io')).toBeNull();
        expect(await store.lookupCustomer(accountId, 'fs_user_id', 'null')).toBeNull();
        expect(await store.lookupCustomer('not-an-id', 'email', 'look@up.io')).toBeNull();
        expect(await store.customerEvents(accountId, 'not-an-id')).toEqual([]);
      });
    });

    describe('customerEvents', () => {
      it('returns the newest first, honours sinceMs and limit', async () => {
        for (let i = 0; i < 5; i++) await store.ingest([batch([ev({ fs_user_id: 'hist' }, { i })], clock + i * 1000)]);
        const c = await store.lookupCustomer(accountId, 'fs_user_id', 'hist');
        const all = await store.customerEvents(accountId, c!.customerId);
        expect(all.map((e) => e.data['i'])).toEqual([4, 3, 2, 1, 0]);
        const since = await store.customerEvents(accountId, c!.customerId, { sinceMs: clock + 2000 });
        expect(since.map((e) => e.data['i'])).toEqual([4, 3, 2]);
        const limited = await store.customerEvents(accountId, c!.customerId, { limit: 2 });
        expect(limited.map((e) => e.data['i'])).toEqual([4, 3]);
        expect(await store.customerEventCount(accountId, c!.customerId)).toBe(5);
        // A bounded count stops at its bound (what the admin customer view asks for) and is exact below it.
        expect(await store.customerEventCount(accountId, c!.customerId, 3)).toBe(3);
        expect(await store.customerEventCount(accountId, c!.customerId, 6)).toBe(5);
      });
    });

    describe('segment definitions', () => {
      it('puts, updates, lists by name, and deletes per account', async () => {
        await store.putSegmentDefinition(accountId, 'b_seg', { condition: { identifier: 'email' } });
        clock += 10;
        await store.putSegmentDefinition(accountId, 'a_seg', { condition: { not: { identifier: 'email' } } });
        expect(await store.listSegmentDefinitions(accountId)).toEqual([
          { name: 'a_seg', definition: { condition: { not: { identifier: 'email' } } }, updatedAt: clock },
          { name: 'b_seg', definition: { condition: { identifier: 'email' } }, updatedAt: clock - 10 },
        ]);
        clock += 10;
        await store.putSegmentDefinition(accountId, 'b_seg', { condition: { identifier: 'vuid' } });
        const updated = (await store.listSegmentDefinitions(accountId)).find((s) => s.name === 'b_seg');
        expect(updated).toEqual({ name: 'b_seg', definition: { condition: { identifier: 'vuid' } }, updatedAt: clock });
        expect(await store.deleteSegmentDefinition(accountId, 'b_seg')).toBe(true);
        expect(await store.deleteSegmentDefinition(accountId, 'b_seg')).toBe(false);
        expect((await store.listSegmentDefinitions(accountId)).map((s) => s.name)).toEqual(['a_seg']);
        const other = (await store.createAccount({ publicKey: 'pk_s', privateKey: 'sk_s' })).id;
        expect(await store.listSegmentDefinitions(other)).toEqual([]);
      });
    });

    describe('health', () => {
      it('passes its write-path check', async () => {
        await expect(store.healthCheck()).resolves.toBeUndefined();
      });
    });
  });
}
