import { describe, expect, it } from 'vitest';
import { createArrayQueue } from '../src/event/array-queue.js';
import { type EventStore, eventJson, subBatch } from '../src/event/batch.js';
import { EventQueue } from '../src/event/event-queue.js';
import type { IntegratedConfig } from '../src/types.js';

const target: IntegratedConfig = { state: 'integrated', apiKey: 'k', apiHost: 'http://h', segmentsToCheck: [] };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function push(q: EventStore, seq: number, value: unknown, t: IntegratedConfig | null = target) {
  const json = JSON.stringify(value);
  const bytes = q.stage(json);
  expect(bytes).toBe(Buffer.byteLength(json));
  q.commit(seq, t);
}

// Both stores behind the Platform interface: off-heap slabs (Node, workers) and the plain array (browsers).
describe.each([
  { store: 'EventQueue (slabs)', make: (): EventStore => new EventQueue() },
  { store: 'array queue', make: createArrayQueue },
])('$store (the store behind the queue bounds)', ({ make }) => {
  it('builds exact JSON-array bodies across slab boundaries, with each event findable in them', () => {
    const q = make();
    // ~5,000 events of ~300 bytes span two 1 MiB slabs.
    const big = 'é'.repeat(150);
    for (let i = 0; i < 5000; i++) push(q, i + 1, { i, big });
    let seen = 0;
    while (q.length > 0) {
      const b = q.take(Math.min(q.length, 777));
      const parsed = JSON.parse(text(b.body)) as Array<{ i: number }>;
      expect(parsed.map((e) => e.i)).toEqual(Array.from({ length: parsed.length }, (_, k) => seen + k));
      expect(JSON.parse(eventJson(b, parsed.length - 1)).i).toBe(seen + parsed.length - 1);
      expect(b.seqs[0]).toBe(seen + 1);
      seen += parsed.length;
    }
    expect(seen).toBe(5000);
  });

  it('removing held events leaves no stray bytes in later bodies', () => {
    const q = make();
    push(q, 1, { n: 'a' });
    push(q, 2, { n: 'held' }, null);
    push(q, 3, { n: 'b' });
    expect(q.removeHeld()).toEqual([{ seq: 2, bytes: JSON.stringify({ n: 'held' }).length }]);
    const b = q.take(2);
    expect(text(b.body)).toBe('[{"n":"a"},{"n":"b"}]');
    expect(b.seqs).toEqual([1, 3]);
  });

  it('a sub-batch keeps only the chosen events', () => {
    const q = make();
    for (let i = 0; i < 4; i++) push(q, i + 1, { i });
    const b = subBatch(q.take(4), [0, 2, 3]);
    expect(text(b.body)).toBe('[{"i":0},{"i":2},{"i":3}]');
    expect(b.seqs).toEqual([1, 3, 4]);
    expect(eventJson(b, 1)).toBe('{"i":2}');
  });

  it('held events get their destination once it is known', () => {
    const q = make();
    push(q, 1, {}, null);
    expect(q.targetAt(0)).toBeNull();
    q.assignHeld(target);
    expect(q.targetAt(0)).toBe(target);
    expect(q.targetAt(1)).toBeUndefined();
  });
});
