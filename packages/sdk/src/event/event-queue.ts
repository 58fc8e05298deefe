import { allocBytes, writeUtf8 } from '../platform/utf8.js';
import type { IntegratedConfig } from '../types.js';
import type { Batch, EventStore } from './batch.js';
import { utf8Decoder } from './batch.js';

// Events are stored as UTF-8 in large slabs outside the JS heap: 100,000 queued events then cost their bytes and a
// few numbers each, instead of 100,000 heap strings that the GC must promote, copy and trace (measured: ~40 MB less
// peak RSS and less CPU for a 100,000-event burst). A client that sends a few events must not pay for a burst it
// never has, so the first slab is small and each new one doubles, up to SLAB_BYTES.
const SLAB_BYTES = 1 << 20;
const FIRST_SLAB_BYTES = 4 << 10;
// Likewise the per-event records start with room for a few events and double as needed.
const FIRST_RECORDS = 16;
const MAX_SPARE_SLABS = 4;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;

// Per-event fields, interleaved in one Float64Array (off-heap): growing JS arrays would live in the young generation
// and be copied on every scavenge while a burst is queued, which makes V8 grow its heap.
const SEQ = 0;
const OFF = 1;
const LEN = 2;
const SLAB = 3;
const TARGET = 4;
const STRIDE = 5;
const HELD = -1;

/**
 * FIFO of serialised events waiting to be batched. Each event is written to the current slab followed by a comma,
 * so a run of consecutive events is one contiguous byte range and a batch body is a few memcpy's.
 */
export class EventQueue implements EventStore {
  private slabs: Uint8Array[] = [];
  /** Absolute index of slabs[0]: slabs before it were fully consumed and released. */
  private slabBase = 0;
  private slab: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private staged = 0;
  /**
   * Consumed slabs kept for reuse. Released slabs would otherwise wait for a major GC to return their memory,
   * which a small heap rarely triggers, so a steady stream would keep tens of MB it no longer needs.
   */
  private spare: Uint8Array[] = [];

  private rec = new Float64Array(FIRST_RECORDS * STRIDE);
  private head = 0;
  private tail = 0;
  /** Destinations referenced by index from the records (they change rarely: one per configuration). */
  private targets: IntegratedConfig[] = [];

  get length(): number {
    return this.tail - this.head;
  }

  /** Serialises the event at the tail without committing it; returns its UTF-8 byte length. */
  stage(json: string): number {
    // Worst case 3 bytes per UTF-16 unit, plus the separator.
    if (this.slab.length - this.pos < json.length * 3 + 1) {
      const need = json.length * 3 + 1;
      const size = Math.max(need, Math.min(SLAB_BYTES, this.slab.length * 2 || FIRST_SLAB_BYTES));
      this.slab = size <= SLAB_BYTES && this.spare.length > 0 ? this.spare.pop()! : allocBytes(size);
      this.slabs.push(this.slab);
      this.pos = 0;
    }
    this.staged = writeUtf8(this.slab, json, this.pos);
    return this.staged;
  }

  /** Commits the event last staged. */
  commit(seq: number, target: IntegratedConfig | null): void {
    const len = this.staged;
    this.slab[this.pos + len] = COMMA;
    if ((this.tail + 1) * STRIDE > this.rec.length) this.grow();
    const r = this.rec;
    const at = this.tail * STRIDE;
    r[at + SEQ] = seq;
    r[at + OFF] = this.pos;
    r[at + LEN] = len;
    r[at + SLAB] = this.slabBase + this.slabs.length - 1;
    r[at + TARGET] = target === null ? HELD : this.targetIndex(target);
    this.tail++;
    this.pos += len + 1;
  }

  seqAt(i: number): number {
    return this.rec[(this.head + i) * STRIDE + SEQ]!;
  }

  /** undefined past the end; null for a held event. */
  targetAt(i: number): IntegratedConfig | null | undefined {
    if (this.head + i >= this.tail) return undefined;
    const t = this.rec[(this.head + i) * STRIDE + TARGET]!;
    return t === HELD ? null : this.targets[t];
  }

  jsonAt(i: number): string {
    const at = (this.head + i) * STRIDE;
    const r = this.rec;
    const from = r[at + OFF]!;
    return utf8Decoder.decode(this.slabs[r[at + SLAB]! - this.slabBase]!.subarray(from, from + r[at + LEN]!));
  }

  bytesAt(i: number): number {
    return this.rec[(this.head + i) * STRIDE + LEN]!;
  }

  /** Gives every held event its destination. */
  assignHeld(target: IntegratedConfig): void {
    const ix = this.targetIndex(target);
    for (let i = this.head; i < this.tail; i++) {
      if (this.rec[i * STRIDE + TARGET] === HELD) this.rec[i * STRIDE + TARGET] = ix;
    }
  }

  /** Removes and returns the first n events as a ready-to-send batch. */
  take(n: number): Batch {
    const r = this.rec;
    const h = this.head;
    let total = 0;
    for (let i = h; i < h + n; i++) total += r[i * STRIDE + LEN]! + 1;
    const body = new Uint8Array(total + 1);
    body[0] = OPEN;
    const seqs: number[] = new Array(n);
    const starts: number[] = new Array(n);
    const lens: number[] = new Array(n);
    let p = 1;
    let i = h;
    while (i < h + n) {
      // Copy the longest run of events that sit back to back in one slab (removing held events can leave gaps).
      const ix = r[i * STRIDE + SLAB]!;
      const from = r[i * STRIDE + OFF]!;
      let end = from;
      let j = i;
      while (j < h + n && r[j * STRIDE + SLAB] === ix && r[j * STRIDE + OFF] === end) {
        const len = r[j * STRIDE + LEN]!;
        seqs[j - h] = r[j * STRIDE + SEQ]!;
        starts[j - h] = p + (end - from);
        lens[j - h] = len;
        end += len + 1;
        j++;
      }
      body.set(this.slabs[ix - this.slabBase]!.subarray(from, end), p);
      p += end - from;
      i = j;
    }
    body[total] = CLOSE; // replaces the last event's separator
    this.head += n;
    this.release();
    return { body, seqs, starts, lens };
  }

  /** Removes every event, returning their sequence numbers and sizes (shutdown gave up on them). */
  removeAll(): Array<{ seq: number; bytes: number }> {
    const r = this.rec;
    const removed: Array<{ seq: number; bytes: number }> = [];
    for (let i = this.head; i < this.tail; i++)
      removed.push({ seq: r[i * STRIDE + SEQ]!, bytes: r[i * STRIDE + LEN]! });
    this.tail = this.head;
    this.release();
    return removed;
  }

  /** Removes every held event, returning their sequence numbers and sizes. */
  removeHeld(): Array<{ seq: number; bytes: number }> {
    const r = this.rec;
    const removed: Array<{ seq: number; bytes: number }> = [];
    let w = this.head;
    for (let i = this.head; i < this.tail; i++) {
      if (r[i * STRIDE + TARGET] === HELD) removed.push({ seq: r[i * STRIDE + SEQ]!, bytes: r[i * STRIDE + LEN]! });
      else {
        if (w !== i) r.copyWithin(w * STRIDE, i * STRIDE, (i + 1) * STRIDE);
        w++;
      }
    }
    this.tail = w;
    this.release();
    return removed;
  }

  private targetIndex(target: IntegratedConfig): number {
    let ix = this.targets.indexOf(target);
    if (ix === -1) ix = this.targets.push(target) - 1;
    return ix;
  }

  private grow(): void {
    const live = this.rec.subarray(this.head * STRIDE, this.tail * STRIDE);
    const next = new Float64Array(Math.max(FIRST_RECORDS, (this.tail - this.head) * 2) * STRIDE);
    next.set(live);
    this.tail -= this.head;
    this.head = 0;
    this.rec = next;
  }

  /** Drops records and slabs that no queued event needs any more. */
  private release(): void {
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      // Keep the current slab for new events; every older one is consumed. Old destinations are no longer referenced.
      this.recycle(this.slabs.length - 1);
      this.targets = [];
      return;
    }
    const firstNeeded = this.rec[this.head * STRIDE + SLAB]! - this.slabBase;
    if (firstNeeded > 0) this.recycle(firstNeeded);
  }

  /** Drops the first `count` slabs (all consumed), keeping a few standard-size ones for reuse. */
  private recycle(count: number): void {
    for (let i = 0; i < count; i++) {
      const slab = this.slabs[i]!;
      if (slab.length === SLAB_BYTES && this.spare.length < MAX_SPARE_SLABS) this.spare.push(slab);
    }
    this.slabs = this.slabs.slice(count);
    this.slabBase += count;
  }
}
