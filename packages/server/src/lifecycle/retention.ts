import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Store } from '../store/store.js';

/**
 * Retention: events received more than `maxAgeMs` ago are deleted in the background, in small transactions of at
 * most `batchSize` events, yielding to the event loop between them, so a pass never holds the writer for long and
 * group commits interleave with it. Only event history goes: customers, identifiers, dedup entries and counters of
 * what was stitched stay (they are state, not history), and the stats counters drop by what was deleted.
 */
export interface RetentionOptions {
  maxAgeMs: number;
  now: () => number;
  /** Events per deleting transaction (default 1,000). */
  batchSize?: number;
  /** Pause between passes (default one minute); a pass runs until nothing older than the limit is left. */
  intervalMs?: number;
  onPass?: (deleted: number, cutoffMs: number) => void;
  onError?: (err: unknown) => void;
}

export interface Retention {
  /** One full pass now; resolves with how many events it deleted. */
  runPass(): Promise<number>;
  /** Stops the loop and waits for the transaction in flight. */
  stop(): Promise<void>;
}

export const RETENTION_BATCH = 1_000;

export function startRetention(store: Store, options: RetentionOptions): Retention {
  const batch = options.batchSize ?? RETENTION_BATCH;
  const interval = options.intervalMs ?? 60_000;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;

  async function pass(): Promise<number> {
    const cutoff = options.now() - options.maxAgeMs;
    let total = 0;
    while (!stopped) {
      const n = await store.deleteEventsBefore(cutoff, batch);
      total += n;
      if (n < batch) break;
      await yieldTurn();
    }
    options.onPass?.(total, cutoff);
    return total;
  }

  function runPass(): Promise<number> {
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  }

  function loop(): void {
    runPass()
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, interval).unref();
      });
  }
  loop();

  return {
    runPass,
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
