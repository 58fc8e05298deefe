import type { IngestBatch, IngestOutcome, Store } from '../store/store.js';

/**
 * Group commit: the batches of requests that arrive together are written in ONE transaction and every one of them is
 * acknowledged after that single COMMIT. With synchronous=FULL each commit costs a disk flush, so one flush per
 * request would cap a batch-10 workload near the disk's flush rate (measured here at a few thousand flushes per
 * second); sharing the flush lifts it.
 *
 * Pipeline: at most one transaction is in the store at a time, and the next group accumulates while it commits. The
 * SQLite store commits on its writer thread (store/sqlite/writer-thread.ts), so the event loop keeps parsing and
 * validating requests during a commit; when the commit returns, everything that arrived meanwhile (up to
 * `maxGroupEvents`) forms the next group, without adding any wait. With no commit in progress the group is "whatever
 * arrived in this turn of the event loop" (setImmediate). `windowMs` > 0 waits that long for more. The queue of
 * events waiting for a commit is bounded: beyond `maxPendingEvents` a batch is refused with OverloadedError (→ 503 + Retry-After) instead of letting
 * memory and latency grow without limit.
 */

export class OverloadedError extends Error {
  constructor() {
    super('the commit queue is full');
  }
}

export interface GroupCommitOptions {
  windowMs: number;
  maxPendingEvents: number;
  /** Events per transaction at most; a group this large is also committed without waiting out the window. */
  maxGroupEvents: number;
  /** After COMMIT, before any request is answered: `outcomes[i]` is what `batches[i]` did. */
  onCommit?: (outcomes: IngestOutcome[], batches: IngestBatch[]) => void;
  onQueueDepth?: (events: number) => void;
}

interface Pending {
  batch: IngestBatch;
  resolve: (o: IngestOutcome) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitter {
  submit(batch: IngestBatch): Promise<IngestOutcome>;
  /** Resolves when everything submitted so far is committed (or failed). */
  drain(): Promise<void>;
  readonly pendingEvents: number;
}

export function createGroupCommitter(store: Store, options: GroupCommitOptions): GroupCommitter {
  let pending: Pending[] = [];
  let pendingEvents = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  let committing: Promise<void> | null = null;

  const depth = () => options.onQueueDepth?.(pendingEvents);

  function schedule(): void {
    if (timer !== null || committing !== null) return; // a commit in progress reschedules when it ends
    if (options.windowMs > 0 && pendingEvents < options.maxGroupEvents) {
      timer = setTimeout(flush, options.windowMs);
    } else {
      timer = setImmediate(flush);
    }
  }

  function flush(): void {
    timer = null;
    if (pending.length === 0) return;
    // At most maxGroupEvents per transaction (but always at least one batch): every response of a group waits for
    // its whole commit, so an unbounded group (50 connections x 500 events) would hold them for seconds; beyond a few
    // thousand events per commit the shared flush saves almost nothing more.
    let take = 0;
    let events = 0;
    while (take < pending.length) {
      const n = (pending[take] as Pending).batch.events.length;
      if (take > 0 && events + n > options.maxGroupEvents) break;
      events += n;
      take++;
    }
    const group = pending.slice(0, take);
    pending = pending.slice(take);
    pendingEvents -= events;
    depth();
    committing = (async () => {
      try {
        const batches = group.map((p) => p.batch);
        const outcomes = await store.ingest(batches);
        options.onCommit?.(outcomes, batches);
        group.forEach((p, i) => {
          p.resolve(outcomes[i] as IngestOutcome);
        });
      } catch (err) {
        for (const p of group) p.reject(err);
      } finally {
        committing = null;
        if (pending.length > 0) schedule();
      }
    })();
  }

  return {
    get pendingEvents() {
      return pendingEvents;
    },
    submit(batch) {
      if (pendingEvents + batch.events.length > options.maxPendingEvents) return Promise.reject(new OverloadedError());
      return new Promise<IngestOutcome>((resolve, reject) => {
        pending.push({ batch, resolve, reject });
        pendingEvents += batch.events.length;
        depth();
        if (pendingEvents >= options.maxGroupEvents && timer !== null && options.windowMs > 0) {
          clearTimeout(timer as NodeJS.Timeout);
          timer = null;
        }
        schedule();
      });
    },
    async drain() {
      while (pending.length > 0 || committing !== null || timer !== null) {
        if (timer !== null) {
          clearTimeout(timer as NodeJS.Timeout);
          clearImmediate(timer as NodeJS.Immediate);
          flush();
        }
        if (committing !== null) await committing;
        else await new Promise((r) => setImmediate(r));
      }
    },
  };
}
