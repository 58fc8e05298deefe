import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_PENDING_CHARS, PENDING_EVENTS_KEY, PendingEvents } from '../src/browser/pending-events.js';
import { isVuid, loadOrCreateVuid, newVuid, VUID_STORAGE_KEY } from '../src/browser/vuid.js';
import { createOdpClient } from '../src/index.browser.js';
import { type Sink, startSink } from './helpers/sink.js';

/** localStorage is the browser's (an edge we do not own): a Map behind the same methods stands in for it here. */
class MemoryStorage implements Storage {
  private readonly m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  clear() {
    this.m.clear();
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  setItem(k: string, v: string) {
    this.m.set(k, String(v));
  }
}

const event = (id: string, pad = 0) =>
  JSON.stringify({
    type: 'fullstack',
    action: 'a',
    identifiers: { vuid: 'vuid_x' },
    data: { idempotence_id: id, pad: 'x'.repeat(pad) },
  });

describe('visitor id', () => {
  it('is vuid_ and 27 lower-case hex digits of a UUID v4, 32 characters', () => {
    for (let i = 0; i < 50; i++) expect(newVuid()).toMatch(/^vuid_[0-9a-f]{27}$/);
    expect(isVuid('vuid_')).toBe(false);
    expect(isVuid('vuid_a')).toBe(true);
  });

  it('is created once, stored JSON-encoded under optimizely-vuid, and a malformed one is replaced', () => {
    const store = new MemoryStorage();
    const first = loadOrCreateVuid(store);
    expect(store.getItem(VUID_STORAGE_KEY)).toBe(JSON.stringify(first));
    expect(loadOrCreateVuid(store)).toBe(first);
    // The official SDK's stored value is read as is.
    store.setItem(VUID_STORAGE_KEY, '"vuid_0e46d6e7b306407c8d33c9beffe"');
    expect(loadOrCreateVuid(store)).toBe('vuid_0e46d6e7b306407c8d33c9beffe');
    for (const bad of ['not json', '"user-1"', '42']) {
      store.setItem(VUID_STORAGE_KEY, bad);
      const v = loadOrCreateVuid(store);
      expect(v).toMatch(/^vuid_[0-9a-f]{27}$/);
      expect(store.getItem(VUID_STORAGE_KEY)).toBe(JSON.stringify(v));
    }
  });
});

describe('events kept for the next page', () => {
  it('takeAll returns each idempotence_id once and empties the store', () => {
    const store = new MemoryStorage();
    store.setItem(PENDING_EVENTS_KEY, `[${[event('a'), event('b'), event('a')].join(',')}]`);
    const taken = new PendingEvents(store).takeAll();
    expect(taken.map((e) => JSON.parse(e).data.idempotence_id)).toEqual(['a', 'b']);
    expect(taken[0]).toBe(event('a'));
    expect(store.getItem(PENDING_EVENTS_KEY)).toBeNull();
  });

  it('keep replaces only what this page kept, leaves other pages their events, and release removes its own', () => {
    const store = new MemoryStorage();
    const other = new PendingEvents(store);
    expect(other.keep([event('o1')])).toBe(0);
    const mine = new PendingEvents(store);
    mine.keep([event('m1'), event('m2'), event('o1')]);
    mine.keep([event('m2')]); // m1 was sent meanwhile
    const ids = () =>
      (JSON.parse(store.getItem(PENDING_EVENTS_KEY) ?? '[]') as Array<{ data: { idempotence_id: string } }>).map(
        (e) => e.data.idempotence_id,
      );
    expect(ids()).toEqual(['o1', 'm2']);
    mine.release();
    expect(ids()).toEqual(['o1']);
  });

  it(`keeps at most ${MAX_PENDING_CHARS} characters and reports what did not fit`, () => {
    const store = new MemoryStorage();
    const events = Array.from({ length: 400 }, (_, i) => event(`id-${i}`, 1000));
    const lost = new PendingEvents(store).keep(events);
    const stored = store.getItem(PENDING_EVENTS_KEY)!;
    expect(stored.length).toBeLessThanOrEqual(MAX_PENDING_CHARS);
    const kept = (JSON.parse(stored) as unknown[]).length;
    expect(lost).toBeGreaterThan(0);
    expect(kept + lost).toBe(400);
  });
});

describe('the browser client with vuid: true', () => {
  const sinks: Sink[] = [];
  const g = globalThis as { localStorage?: Storage };
  afterEach(() => {
    delete g.localStorage;
  });
  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.close()));
  });

  it('attaches the vuid where none is given, keeps a given one, links it in identifyUser, and restores kept events', async () => {
    const sink = await startSink();
    sinks.push(sink);
    g.localStorage = new MemoryStorage();
    g.localStorage.setItem(PENDING_EVENTS_KEY, `[${event('kept-1')}]`);
    const client = createOdpClient({ odp: { apiKey: 'pk', apiHost: sink.url }, vuid: true, logLevel: 'silent' });
    const vuid = client.vuid!;
    expect(vuid).toMatch(/^vuid_[0-9a-f]{27}$/);
    client.sendOdpEvent('a', {});
    client.sendOdpEvent('b', new Map([['email', 'x@example.com']]));
    client.sendOdpEvent('c', { vuid: 'vuid_given' });
    client.identifyUser({ fs_user_id: 'user-1' });
    expect(await client.close()).toMatchObject({ sent: 5, rejected: 0 });
    const byAction = Object.fromEntries(sink.events.map((e) => [e.action, e]));
    expect(byAction.a!.identifiers).toEqual({ vuid });
    expect(byAction.b!.identifiers).toEqual({ email: 'x@example.com', vuid });
    expect(byAction.c!.identifiers).toEqual({ vuid: 'vuid_given' });
    expect(byAction.identified!.identifiers).toEqual({ vuid, fs_user_id: 'user-1' });
    // The kept event went out with its original idempotence_id, and the store is empty.
    expect(sink.events.filter((e) => e.data.idempotence_id === 'kept-1')).toHaveLength(1);
    expect(g.localStorage.getItem(PENDING_EVENTS_KEY)).toBeNull();
  });
});
