import { randomUUID } from 'node:crypto';
import type { IngestBatch } from '@odpkit/server';
import { expect, it } from 'vitest';
import { validateBatch } from '../src/ingest/validate.js';
import { parseSegmentDefinition } from '../src/segments/definition.js';
import { SegmentService } from '../src/segments/service.js';
import type { OpenStore } from './segment-state-differential.js';

/** Store cases for segment state, run against each driver: the rows a store keeps and the rebuild's boundaries. */

const T0 = Date.UTC(2026, 5, 1);

function batch(accountId: string, receivedAt: number, events: { ids: Record<string, string>; action?: string }[]) {
  const v = validateBatch(
    events.map((e) => ({
      type: 'fullstack',
      action: e.action ?? 'a',
      identifiers: e.ids,
      data: { idempotence_id: randomUUID() },
    })),
  );
  if (!v.ok) throw new Error('invalid test event');
  return { accountId, receivedAt, events: v.events } satisfies IngestBatch;
}

function definition(name: string, condition: unknown) {
  const parsed = parseSegmentDefinition({ name, condition });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.value;
}

async function setup(open: OpenStore) {
  const { store, cleanup } = await open();
  const accountId = (await store.createAccount({ publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` }))
    .id;
  const service = new SegmentService(store, { definitionsTtlMs: 0 });
  const customerOf = async (fsUserId: string) => {
    const c = await store.lookupCustomer(accountId, 'fs_user_id', fsUserId);
    if (c === null) throw new Error(`no customer ${fsUserId}`);
    return c;
  };
  const rows = async (fsUserId: string) =>
    (await store.segmentState(accountId, (await customerOf(fsUserId)).customerId)).map((r) => ({
      ready: r.ready,
      n: r.state === null ? 0 : r.state.kind === 'count' ? r.state.n : r.state.times.length,
    }));
  return { store, cleanup, accountId, service, customerOf, rows };
}

async function withStore(open: OpenStore, body: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>) {
  const s = await setup(open);
  try {
    await body(s);
  } finally {
    await s.cleanup();
  }
}

export function stateStoreCases(open: OpenStore): void {
  it('keeps a capped count for an unwindowed condition and the newest timestamps for a windowed one', () =>
    withStore(open, async ({ store, accountId, service, customerOf }) => {
      await service.put(accountId, definition('twice', { event: { action: 'a' }, count: { gte: 2 } }));
      await service.put(accountId, definition('recent3', { event: { action: 'a' }, count: { gte: 3 }, within: '1h' }));
      for (let i = 0; i < 6; i++)
        await store.ingest([batch(accountId, T0 + i * 60_000, [{ ids: { fs_user_id: 'u1' } }])]);
      const c = await customerOf('u1');
      const states = (await store.segmentState(accountId, c.customerId)).map((r) => ({
        ready: r.ready,
        state: r.state,
      }));
      // The count stops at 2; the window keeps the 3 newest timestamps, newest first.
      expect(states.sort((a, b) => (a.state?.kind ?? '').localeCompare(b.state?.kind ?? ''))).toEqual([
        { ready: true, state: { kind: 'count', n: 2 } },
        { ready: true, state: { kind: 'times', times: [T0 + 5 * 60_000, T0 + 4 * 60_000, T0 + 3 * 60_000] } },
      ]);
    }));

  it('counts every event exactly once when a condition is defined over a history and events keep arriving', () =>
    withStore(open, async ({ store, accountId, service, customerOf, rows }) => {
      for (let i = 0; i < 5; i++) await store.ingest([batch(accountId, T0 + i, [{ ids: { fs_user_id: 'u1' } }])]);
      await service.put(accountId, definition('six', { event: { action: 'a' }, count: { gte: 6 } }));
      expect(await rows('u1')).toEqual([{ ready: false, n: 0 }]);
      expect((await service.list(accountId))[0]).toMatchObject({ state: 'building' });
      // Arrives after the definition: counted by ingestion, never by the rebuild.
      await store.ingest([batch(accountId, T0 + 10, [{ ids: { fs_user_id: 'u1' } }])]);
      expect(await rows('u1')).toEqual([{ ready: false, n: 1 }]);
      // The rebuild, two events at a time, with an event arriving between its steps.
      expect((await store.buildSegmentState(2)).pending).toBe(true);
      await store.ingest([batch(accountId, T0 + 11, [{ ids: { fs_user_id: 'u1' } }])]);
      while ((await store.buildSegmentState(2)).pending) {}
      expect(await rows('u1')).toEqual([{ ready: true, n: 6 }]); // 7 events, capped at 6
      const listed = (await service.list(accountId))[0];
      expect(listed).toMatchObject({ state: 'ready' });
      expect(listed?.progress.scanned).toBe(listed?.progress.total);
      const c = await customerOf('u1');
      expect((await service.statesFor(accountId, c, ['six'], T0 + 20))[0]?.state).toBe('qualified');
    }));

  it('rebuilds exactly: a leaf defined over n events counts n', () =>
    withStore(open, async ({ store, accountId, service, rows }) => {
      for (let i = 0; i < 4; i++) await store.ingest([batch(accountId, T0 + i, [{ ids: { fs_user_id: 'u1' } }])]);
      await service.put(accountId, definition('many', { event: { action: 'a' }, count: { gte: 50 } }));
      await service.buildStateNow();
      expect(await rows('u1')).toEqual([{ ready: true, n: 4 }]);
    }));

  it('adds the states of merged customers, also while a rebuild is half way', () =>
    withStore(open, async ({ store, accountId, service, rows }) => {
      for (let i = 0; i < 3; i++) await store.ingest([batch(accountId, T0 + i, [{ ids: { fs_user_id: 'u1' } }])]);
      for (let i = 0; i < 3; i++) await store.ingest([batch(accountId, T0 + i, [{ ids: { email: 'e@x.io' } }])]);
      await service.put(accountId, definition('many', { event: { action: 'a' }, count: { gte: 50 } }));
      await store.buildSegmentState(2);
      // Merges the email customer into u1's; one more event for the merged customer.
      await store.ingest([batch(accountId, T0 + 9, [{ ids: { fs_user_id: 'u1', email: 'e@x.io' } }])]);
      await service.buildStateNow();
      expect(await rows('u1')).toEqual([{ ready: true, n: 7 }]);
    }));

  it('shares one leaf between segments with the same condition, and drops it with the last of them', () =>
    withStore(open, async ({ store, accountId, service, rows }) => {
      const condition = { event: { action: 'a' }, count: { gte: 2 } };
      await service.put(accountId, definition('one', condition));
      await service.put(accountId, definition('two', { or: [condition, { identifier: 'email' }] }));
      await store.ingest([batch(accountId, T0, [{ ids: { fs_user_id: 'u1' } }])]);
      expect(await rows('u1')).toEqual([{ ready: true, n: 1 }]);
      await service.delete(accountId, 'one');
      expect(await rows('u1')).toEqual([{ ready: true, n: 1 }]);
      await service.delete(accountId, 'two');
      expect(await rows('u1')).toEqual([]);
      expect(await store.segmentStateProgress(accountId)).toEqual([]);
      // Defined again: a new leaf, which does not see the dropped one's entries.
      await service.put(accountId, definition('three', condition));
      await service.buildStateNow();
      expect(await rows('u1')).toEqual([{ ready: true, n: 1 }]);
    }));

  it('never shows one account the state of another', () =>
    withStore(open, async ({ store, accountId, service, customerOf }) => {
      await service.put(accountId, definition('one', { event: { action: 'a' } }));
      await store.ingest([batch(accountId, T0, [{ ids: { fs_user_id: 'u1' } }])]);
      const other = (await store.createAccount({ publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` }))
        .id;
      const c = await customerOf('u1');
      expect(await store.segmentState(other, c.customerId)).toEqual([]);
      expect(await store.segmentStateProgress(other)).toEqual([]);
    }));
}
