// Member counts per segment for the console, computed in the background: a request never waits for a count, it gets
// the last one (and starts a new one when that is stale). A count walks at most MAX_COUNTED_CUSTOMERS customers a
// page at a time, yielding to the event loop between pages, so its cost is bounded whatever the account's size; a
// count that stopped there says so (`complete: false`, the numbers are lower bounds).

import type { Store } from '../store/store.js';
import type { SegmentService } from './service.js';

export const MAX_COUNTED_CUSTOMERS = 10_000;
const PAGE = 200;
/** A count older than this is recomputed on the next request. */
const FRESH_MS = 60_000;
/** Counts kept for this many accounts at most; one account's count runs at a time, and at most 2 accounts' at once. */
const MAX_ACCOUNTS = 1_000;
const MAX_RUNNING = 2;

export interface CountSnapshot {
  segments: Record<string, { members: number }>;
  /** Customers the count walked. */
  scanned: number;
  /** False when the walk stopped at MAX_COUNTED_CUSTOMERS before the last customer. */
  complete: boolean;
  /** When the count finished; null before the first one. */
  computed_at: string | null;
  /** A count is under way; ask again for its result. */
  running: boolean;
}

interface Entry {
  result: Omit<CountSnapshot, 'running'> | null;
  finishedAt: number;
  running: boolean;
}

export class MemberCounts {
  private readonly entries = new Map<string, Entry>();
  private running = 0;

  constructor(
    private readonly store: Pick<Store, 'customerPage'>,
    private readonly segments: SegmentService,
    private readonly now: () => number,
    private readonly maxCustomers = MAX_COUNTED_CUSTOMERS,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** The last count, starting a new one if it is stale or the account's segment names changed since. */
  async snapshot(accountId: string): Promise<CountSnapshot> {
    let entry = this.entries.get(accountId);
    if (entry === undefined) {
      if (this.entries.size >= MAX_ACCOUNTS) this.entries.delete(this.entries.keys().next().value as string);
      entry = { result: null, finishedAt: 0, running: false };
      this.entries.set(accountId, entry);
    }
    const names = (await this.segments.list(accountId)).map((s) => s.name);
    const counted = entry.result === null ? [] : Object.keys(entry.result.segments);
    const sameNames =
      entry.result !== null && names.length === counted.length && names.every((n) => counted.includes(n));
    const stale = !sameNames || this.now() - entry.finishedAt > FRESH_MS;
    if (stale && !entry.running && this.running < MAX_RUNNING) this.start(accountId, entry);
    const result = entry.result ?? { segments: {}, scanned: 0, complete: false, computed_at: null };
    // Names defined since the last count are left out rather than shown as 0 members.
    const segments: CountSnapshot['segments'] = {};
    for (const n of names) {
      const c = result.segments[n];
      if (c !== undefined) segments[n] = c;
    }
    return { ...result, segments, running: entry.running };
  }

  private start(accountId: string, entry: Entry): void {
    entry.running = true;
    this.running++;
    this.count(accountId)
      .then((result) => {
        entry.result = result;
        entry.finishedAt = this.now();
      })
      .catch(this.onError)
      .finally(() => {
        entry.running = false;
        this.running--;
      });
  }

  private async count(accountId: string): Promise<Omit<CountSnapshot, 'running'>> {
    const counts: Record<string, { members: number }> = {};
    for (const s of await this.segments.list(accountId)) counts[s.name] = { members: 0 };
    let scanned = 0;
    let after: string | null = null;
    for (;;) {
      const want = Math.min(PAGE, this.maxCustomers - scanned);
      const page = await this.store.customerPage(accountId, after, want);
      for (const customer of page) {
        for (const state of await this.segments.statesFor(accountId, customer, null)) {
          const c = counts[state.name];
          if (c !== undefined && state.state === 'qualified') c.members++;
        }
      }
      scanned += page.length;
      const last = page.at(-1);
      if (last === undefined || page.length < want) {
        return { segments: counts, scanned, complete: true, computed_at: new Date(this.now()).toISOString() };
      }
      if (scanned >= this.maxCustomers) {
        const more = await this.store.customerPage(accountId, last.customerId, 1);
        return {
          segments: counts,
          scanned,
          complete: more.length === 0,
          computed_at: new Date(this.now()).toISOString(),
        };
      }
      after = last.customerId;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
