import type { IntegratedConfig } from '../types.js';
import { type EventStore, joinBatch, type Removed, utf8Decoder } from './batch.js';

interface Queued {
  seq: number;
  utf8: Uint8Array;
  target: IntegratedConfig | null;
}

const encoder = new TextEncoder();
const removed = (e: Queued): Removed => ({ seq: e.seq, bytes: e.utf8.length });

/**
 * The event store for a page: a plain array of encoded events. A page queues tens of events, not the 100,000-event
 * bursts the slab store is built for, so the smaller code wins; the dispatcher bounds it by count and bytes the same.
 */
export function createArrayQueue(): EventStore {
  let items: Queued[] = [];
  let staged = new Uint8Array(0);
  return {
    get length() {
      return items.length;
    },
    stage: (json) => {
      staged = encoder.encode(json);
      return staged.length;
    },
    commit: (seq, target) => {
      items.push({ seq, utf8: staged, target });
    },
    seqAt: (i) => items[i]!.seq,
    targetAt: (i) => items[i]?.target,
    jsonAt: (i) => utf8Decoder.decode(items[i]!.utf8),
    bytesAt: (i) => items[i]!.utf8.length,
    assignHeld: (target) => {
      for (const e of items) e.target ??= target;
    },
    take: (n) => {
      const taken = items.splice(0, n);
      return joinBatch(
        taken.map((e) => e.seq),
        taken.map((e) => e.utf8),
      );
    },
    removeAll: () => items.splice(0).map(removed),
    removeHeld: () => {
      const held = items.filter((e) => e.target === null);
      items = items.filter((e) => e.target !== null);
      return held.map(removed);
    },
  };
}
