import { unrefTimeout } from '../platform/timers.js';
import type { Logger, Transport } from '../types.js';
import type { ConfigHolder } from './config-holder.js';
import { odpConfigFromDatafile } from './datafile.js';

export interface DatafilePollerOptions {
  url: string;
  pollInterval: number;
  requestTimeout: number;
  transport: Transport;
  holder: ConfigHolder;
  logger: Logger;
}

// Before the first datafile arrives a failed fetch is retried sooner than the poll interval, doubling from here.
const FIRST_RETRY_MS = 1000;

/**
 * Fetches the datafile at once, then every pollInterval with If-None-Match, and feeds the holder. A failed or invalid
 * fetch keeps the last good configuration; while none has arrived, events stay held (within the queue bounds).
 */
export class DatafilePoller {
  private etag: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private current: Promise<void> | undefined;
  private retryDelay = FIRST_RETRY_MS;
  /** Why the configuration is still unknown, for the reason given to events that had to give up waiting. */
  lastError = 'the datafile has not been fetched yet';

  constructor(private readonly o: DatafilePollerOptions) {}

  start(): void {
    this.fetchNow();
  }

  /** The fetch in progress, or a new one: flush() waits on it before giving up on held events. */
  fetchNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.current) return this.current;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.current = this.fetchOnce()
      .catch((err) => {
        // fetchOnce reports its own failures; this keeps a bug from becoming an unhandledRejection.
        this.o.logger.error('internal error while fetching the datafile', err);
      })
      .finally(() => {
        this.current = undefined;
        this.schedule();
      });
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    let delay = this.o.pollInterval;
    if (this.o.holder.state.state === 'pending') {
      delay = Math.min(this.retryDelay, this.o.pollInterval);
      this.retryDelay = Math.min(this.retryDelay * 2, this.o.pollInterval);
    }
    // The timer holds the poller weakly: a client the application dropped without close() must not be kept alive
    // (and polling) by its own poll timer. Once it is collected, the timer finds nothing and does nothing.
    const self = new WeakRef(this);
    this.timer = unrefTimeout(() => {
      const poller = self.deref();
      if (poller === undefined) return;
      poller.timer = undefined;
      void poller.fetchNow();
    }, delay);
  }

  private async fetchOnce(): Promise<void> {
    const { url, transport, holder, logger } = this.o;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.etag !== undefined) headers['if-none-match'] = this.etag;
    let res: Awaited<ReturnType<Transport['request']>>;
    try {
      res = await transport.request({ method: 'GET', url, headers, timeout: this.o.requestTimeout });
    } catch (err) {
      this.lastError = `fetching the datafile from ${url} failed (${(err as Error)?.message ?? String(err)})`;
      logger.warn(this.lastError);
      return;
    }
    if (this.stopped) return;
    if (res.status === 304) return;
    if (res.status < 200 || res.status > 299) {
      this.lastError = `fetching the datafile from ${url} answered HTTP ${res.status}`;
      logger.warn(this.lastError);
      return;
    }
    try {
      const next = odpConfigFromDatafile(res.body);
      this.etag = res.headers.etag;
      if (holder.set(next)) logger.info(`ODP configuration from ${url}: ${describe(next)}`);
    } catch (err) {
      this.lastError = `the datafile from ${url} is invalid: ${(err as Error).message}`;
      logger.error(this.lastError);
      // Without any configuration yet, an invalid datafile means we cannot send: say so instead of holding forever.
      if (holder.state.state === 'pending') holder.set({ state: 'not_integrated', reason: this.lastError });
    }
  }
}

function describe(c: ReturnType<typeof odpConfigFromDatafile>): string {
  return c.state === 'integrated' ? `integrated, host ${c.apiHost}` : c.reason;
}
