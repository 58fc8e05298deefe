import { describe, expect, it } from 'vitest';
import { parseSegmentDefinition } from '../src/segments/definition.js';
import { type SegmentDataSource, SegmentService } from '../src/segments/service.js';
import type { CustomerView, StoredEvent } from '../src/segments/types.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

/** In-memory stand-in for the store's segment methods (the store has its own contract suite). */
class MemorySource implements SegmentDataSource {
  customers = new Map<string, (CustomerView & { events: StoredEvent[] })[]>();
  definitions = new Map<string, Map<string, { definition: unknown; updatedAt: number }>>();
  eventFetches: { customerId: string; sinceMs: number | undefined }[] = [];
  definitionReads = 0;

  addCustomer(
    accountId: string,
    customerId: string,
    identifiers: Record<string, string[]>,
    events: StoredEvent[] = [],
  ) {
    const list = this.customers.get(accountId) ?? [];
    list.push({ customerId, identifiers, events });
    this.customers.set(accountId, list);
  }
  async lookupCustomer(accountId: string, key: string, value: string) {
    const c = (this.customers.get(accountId) ?? []).find((c) => c.identifiers[key]?.includes(value));
    return c ? { customerId: c.customerId, identifiers: c.identifiers } : null;
  }
  async customerEvents(accountId: string, customerId: string, options: { sinceMs?: number } = {}) {
    this.eventFetches.push({ customerId, sinceMs: options.sinceMs });
    const c = (this.customers.get(accountId) ?? []).find((c) => c.customerId === customerId);
    return (c?.events ?? [])
      .filter((e) => options.sinceMs === undefined || e.receivedAt >= options.sinceMs)
      .sort((a, b) => b.receivedAt - a.receivedAt);
  }
  async listSegmentDefinitions(accountId: string) {
    this.definitionReads++;
    return [...(this.definitions.get(accountId) ?? new Map())].map(([name, row]) => ({ name, ...row }));
  }
  async putSegmentDefinition(accountId: string, name: string, definition: unknown) {
    const defs = this.definitions.get(accountId) ?? new Map();
    defs.set(name, { definition: JSON.parse(JSON.stringify(definition)), updatedAt: NOW });
    this.definitions.set(accountId, defs);
  }
  async deleteSegmentDefinition(accountId: string, name: string) {
    return this.definitions.get(accountId)?.delete(name) ?? false;
  }
}

function def(name: string, condition: unknown) {
  const parsed = parseSegmentDefinition({ name, condition });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.value;
}

function ev(action: string, ageMs: number): StoredEvent {
  return { type: 'fullstack', action, identifiers: {}, data: {}, receivedAt: NOW - ageMs };
}

async function setup() {
  const source = new MemorySource();
  let clock = NOW;
  const service = new SegmentService(source, { clock: () => clock, definitionsTtlMs: 60_000 });
  source.addCustomer('acct', 'c1', { fs_user_id: ['u1'], email: ['u1@example.com'] }, [
    ev('purchased', 2 * DAY),
    ev('viewed', 20 * DAY),
  ]);
  await service.put('acct', def('has_email', { identifier: 'email' }));
  await service.put('acct', def('recent_buyer', { event: { action: 'purchased' }, within: '7d' }));
  await service.put('acct', def('viewer', { event: { action: 'viewed' }, within: '30d' }));
  await service.put('acct', def('ever_refunded', { event: { action: 'refunded' } }));
  return { source, service, advance: (ms: number) => (clock += ms) };
}

describe('SegmentService.qualifiedStates', () => {
  it('answers null for an unknown customer', async () => {
    const { service } = await setup();
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'nobody', ['has_email'])).toBeNull();
  });

  it('answers in the order asked, each name once, unknown names not_qualified', async () => {
    const { service } = await setup();
    const states = await service.qualifiedStates('acct', 'email', 'u1@example.com', [
      'viewer',
      'nope',
      'has_email',
      'viewer',
      'ever_refunded',
    ]);
    expect(states).toEqual([
      { name: 'viewer', state: 'qualified', description: null },
      { name: 'nope', state: 'not_qualified', description: null },
      { name: 'has_email', state: 'qualified', description: null },
      { name: 'ever_refunded', state: 'not_qualified', description: null },
    ]);
  });

  it('answers an empty subset with an empty list, and a null subset with every segment by name', async () => {
    const { service } = await setup();
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'u1', [])).toEqual([]);
    const all = await service.qualifiedStates('acct', 'fs_user_id', 'u1', null);
    expect(all?.map((s) => `${s.name}:${s.state}`)).toEqual([
      'ever_refunded:not_qualified',
      'has_email:qualified',
      'recent_buyer:qualified',
      'viewer:qualified',
    ]);
  });

  it('evaluates with the injected clock, so windows slide without new events', async () => {
    const { service, advance } = await setup();
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['recent_buyer'])).toMatchObject([
      { state: 'qualified' },
    ]);
    advance(5 * DAY); // the purchase is now 7 days old
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['recent_buyer'])).toMatchObject([
      { state: 'not_qualified' },
    ]);
  });

  it('fetches history once per query, only as far back as the largest requested window', async () => {
    const { service, source } = await setup();
    await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['recent_buyer', 'viewer']);
    expect(source.eventFetches).toEqual([{ customerId: 'c1', sinceMs: NOW - 30 * DAY }]);
  });

  it('fetches no history for identifier-only subsets, and all of it when a segment has no window', async () => {
    const { service, source } = await setup();
    await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['has_email', 'nope']);
    expect(source.eventFetches).toEqual([]);
    await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['recent_buyer', 'ever_refunded']);
    expect(source.eventFetches).toEqual([{ customerId: 'c1', sinceMs: undefined }]);
  });

  it('keeps accounts apart', async () => {
    const { service, source } = await setup();
    source.addCustomer('other', 'c9', { fs_user_id: ['u9'] });
    expect(await service.qualifiedStates('other', 'fs_user_id', 'u1', ['has_email'])).toBeNull();
    expect(await service.qualifiedStates('other', 'fs_user_id', 'u9', ['has_email'])).toEqual([
      { name: 'has_email', state: 'not_qualified', description: null },
    ]);
  });
});

describe('SegmentService definition cache', () => {
  it('reuses compiled definitions and reloads after put and delete', async () => {
    const { service, source } = await setup();
    await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['has_email']);
    await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['has_email']);
    const reads = source.definitionReads;
    await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['has_email']);
    expect(source.definitionReads).toBe(reads);

    await service.put('acct', def('has_email', { identifier: 'phone' }));
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['has_email'])).toMatchObject([
      { state: 'not_qualified' },
    ]);
    expect(await service.delete('acct', 'has_email')).toBe(true);
    expect(await service.delete('acct', 'has_email')).toBe(false);
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'u1', null)).not.toContainEqual(
      expect.objectContaining({ name: 'has_email' }),
    );
  });

  it('re-reads definitions after the TTL, to see changes made through another server node', async () => {
    const { service, source, advance } = await setup();
    await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['x']);
    await source.putSegmentDefinition('acct', 'x', { name: 'x', condition: { identifier: 'email' } });
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['x'])).toMatchObject([
      { state: 'not_qualified' },
    ]);
    advance(60_000);
    expect(await service.qualifiedStates('acct', 'fs_user_id', 'u1', ['x'])).toMatchObject([{ state: 'qualified' }]);
  });
});

describe('SegmentService.applyFile', () => {
  it('creates, updates, keeps and (with replace) deletes', async () => {
    const { service } = await setup();
    const file = [
      { name: 'has_email', condition: { identifier: 'email' } },
      { name: 'viewer', description: 'viewed lately', condition: { event: { action: 'viewed' }, within: '30d' } },
      { name: 'new_one', condition: { identifier: 'vuid' } },
    ];
    expect(await service.applyFile('acct', file)).toEqual({
      ok: true,
      created: ['new_one'],
      updated: ['viewer'],
      unchanged: ['has_email'],
      deleted: [],
    });
    expect(await service.applyFile('acct', file, { replace: true })).toEqual({
      ok: true,
      created: [],
      updated: [],
      unchanged: ['has_email', 'viewer', 'new_one'],
      deleted: ['recent_buyer', 'ever_refunded'],
    });
    expect((await service.list('acct')).map((s) => s.name)).toEqual(['has_email', 'new_one', 'viewer']);
    expect((await service.list('acct')).find((s) => s.name === 'viewer')?.description).toBe('viewed lately');
  });

  it('writes nothing when any definition is invalid', async () => {
    const { service, source } = await setup();
    const before = await source.listSegmentDefinitions('acct');
    const result = await service.applyFile('acct', [
      { name: 'fine', condition: { identifier: 'email' } },
      { name: 'broken', condition: { and: [] } },
    ]);
    expect(result).toEqual({ ok: false, errors: ['segments[1].condition.and: must be a non-empty array'] });
    expect(await source.listSegmentDefinitions('acct')).toEqual(before);
  });
});

describe('SegmentService.membership', () => {
  it('lists the segments a customer is in', async () => {
    const { service } = await setup();
    const customer = await service.findCustomer('acct', 'fs_user_id', 'u1');
    expect(await service.membership('acct', customer!)).toEqual(['has_email', 'recent_buyer', 'viewer']);
  });
});
