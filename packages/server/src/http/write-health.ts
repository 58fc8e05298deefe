import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { Store } from '../store/store.js';

/** How long one write outcome (a commit or a probe) answers /health before a new probe is needed. */
export const HEALTH_PROBE_MAX_AGE_MS = 1000;

/**
 * Whether the store can write, from the last write that finished: a group commit or the /health probe, whichever came
 * last. A failed commit makes /health unhealthy at once (a full disk fails every ingest while a tiny probe may still
 * pass), and only a write that succeeds makes it healthy again. /health probes the store only when no write has
 * finished in the last second, and concurrent callers share one probe, so a flood of /health costs one write a second.
 *
 * Failures are logged once per distinct message (with the stack), not once per request: a full disk failing every
 * request would otherwise flood the log with identical traces.
 */
export class WriteHealth {
  private last: { ok: boolean; at: number } | null = null;
  private probing: Promise<boolean> | null = null;
  private lastLogged: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
    private readonly maxAgeMs = HEALTH_PROBE_MAX_AGE_MS,
  ) {}

  recordSuccess(): void {
    this.last = { ok: true, at: performance.now() };
    this.lastLogged = null;
  }

  /** `what` names the write in the log line: 'commit failed' for a group commit, 'health probe failed' for a probe. */
  recordFailure(err: unknown, log: FastifyBaseLogger, what: string): void {
    this.last = { ok: false, at: performance.now() };
    this.logFailure(err, log, what);
  }

  /** Logs `err` unless the previous failure logged had the same message. */
  logFailure(err: unknown, log: FastifyBaseLogger, what: string): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message === this.lastLogged) {
      log.debug({ cause: message }, `${what} (again)`);
      return;
    }
    this.lastLogged = message;
    log.error({ err }, what);
  }

  /** True while the store can write. */
  async check(): Promise<boolean> {
    const last = this.last;
    if (last !== null && performance.now() - last.at < this.maxAgeMs) return last.ok;
    this.probing ??= this.probe().finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  private async probe(): Promise<boolean> {
    try {
      await this.store.healthCheck();
      this.recordSuccess();
      return true;
    } catch (err) {
      this.recordFailure(err, this.log, 'health probe failed');
      return false;
    }
  }
}
