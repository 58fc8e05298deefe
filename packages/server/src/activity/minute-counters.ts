/**
 * Per-minute activity counters per account, kept in memory on this node only: a ring of 1,440 minutes (one day) per
 * account, so memory is fixed per account and nothing is written to the store. A restart starts from zero, and with
 * several nodes each node counts what it received.
 */

export const COUNTERS = ['accepted', 'rejected', 'duplicates', 'merges'] as const;
export type Counter = (typeof COUNTERS)[number];

export const RING_MINUTES = 1_440;
/** Beyond this many accounts the least recently active account's ring is dropped (memory stays bounded). */
const MAX_ACCOUNTS = 1_000;
const MINUTE_MS = 60_000;

interface Ring {
  /** The minute (ms since epoch / 60,000) each slot currently holds; a stale slot reads as zero. */
  minuteOf: Float64Array;
  counts: Record<Counter, Uint32Array>;
}

export interface MinuteSeries {
  /** Start of each minute, seconds since epoch, oldest first. */
  t: number[];
  accepted: number[];
  rejected: number[];
  duplicates: number[];
  merges: number[];
}

function newRing(): Ring {
  const counts = {} as Record<Counter, Uint32Array>;
  for (const c of COUNTERS) counts[c] = new Uint32Array(RING_MINUTES);
  return { minuteOf: new Float64Array(RING_MINUTES).fill(-1), counts };
}

export class MinuteCounters {
  /** Map order is recency order: an account is re-inserted on every add. */
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly now: () => number) {}

  add(accountId: string, amounts: Partial<Record<Counter, number>>): void {
    let ring = this.rings.get(accountId);
    if (ring === undefined) {
      ring = newRing();
      if (this.rings.size >= MAX_ACCOUNTS) this.rings.delete(this.rings.keys().next().value as string);
    } else {
      this.rings.delete(accountId);
    }
    this.rings.set(accountId, ring);
    const minute = Math.floor(this.now() / MINUTE_MS);
    const slot = minute % RING_MINUTES;
    if (ring.minuteOf[slot] !== minute) {
      ring.minuteOf[slot] = minute;
      for (const c of COUNTERS) ring.counts[c][slot] = 0;
    }
    for (const c of COUNTERS) {
      const n = amounts[c];
      if (n) ring.counts[c][slot] = (ring.counts[c][slot] ?? 0) + n;
    }
  }

  /** The last `minutes` minutes up to and including the current one, zero-filled. */
  series(accountId: string, minutes: number): MinuteSeries {
    const span = Math.min(Math.max(1, Math.floor(minutes)), RING_MINUTES);
    const ring = this.rings.get(accountId);
    const current = Math.floor(this.now() / MINUTE_MS);
    const out: MinuteSeries = { t: [], accepted: [], rejected: [], duplicates: [], merges: [] };
    for (let minute = current - span + 1; minute <= current; minute++) {
      out.t.push(minute * 60);
      const slot = minute % RING_MINUTES;
      const live = ring !== undefined && ring.minuteOf[slot] === minute;
      for (const c of COUNTERS) out[c].push(live ? (ring.counts[c][slot] ?? 0) : 0);
    }
    return out;
  }
}
