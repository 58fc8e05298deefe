import type { IntegratedConfig } from '../types.js';

export interface QueuedEvent {
  json: string;
  bytes: number;
  seq: number;
  /** Where it goes; null while the configuration is still pending (the event is held). */
  target: IntegratedConfig | null;
}

/**
 * FIFO of events waiting to be batched. An array with a moving head: shift() on a 100,000-element array is O(n);
 * this is O(1) and compacts now and then.
 */
export class EventQueue {
  private items: QueuedEvent[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(e: QueuedEvent): void {
    this.items.push(e);
  }

  at(i: number): QueuedEvent | undefined {
    return this.items[this.head + i];
  }

  /** Removes and returns the first n events. */
  take(n: number): QueuedEvent[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Visits every waiting event (used to give held events their destination once the configuration arrives). */
  forEach(fn: (e: QueuedEvent) => void): void {
    for (let i = this.head; i < this.items.length; i++) fn(this.items[i]!);
  }

  /** Removes every event matching the predicate, returning them in order. */
  removeWhere(pred: (e: QueuedEvent) => boolean): QueuedEvent[] {
    const kept: QueuedEvent[] = [];
    const removed: QueuedEvent[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const e = this.items[i]!;
      (pred(e) ? removed : kept).push(e);
    }
    this.items = kept;
    this.head = 0;
    return removed;
  }
}
