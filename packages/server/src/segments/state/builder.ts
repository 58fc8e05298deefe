// Runs the state rebuild in the background: one small store transaction at a time (a few thousand events), with a
// pause between them so ingestion's commits interleave and no request waits behind the whole rebuild. Idle, it waits
// for a definition change on this node (wake) or polls now and then for changes made by other nodes.

import type { SegmentStateSource } from './source.js';

export interface BuilderLog {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface BuilderOptions {
  /** Stored events counted per transaction. */
  batchEvents?: number;
  /** Pause between two transactions, so the writer serves ingestion in between. */
  pauseMs?: number;
  /** How often an idle builder looks for work another node created. */
  idleMs?: number;
  log?: BuilderLog;
  /** How often progress of a building leaf is logged at most. */
  logEveryMs?: number;
}

export class StateBuilder {
  private readonly batchEvents: number;
  private readonly pauseMs: number;
  private readonly idleMs: number;
  private readonly logEveryMs: number;
  private readonly log: BuilderLog | undefined;
  private closed = false;
  private running: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private readonly lastLog = new Map<string, number>();

  constructor(
    private readonly store: SegmentStateSource,
    options: BuilderOptions = {},
  ) {
    this.batchEvents = options.batchEvents ?? 2000;
    this.pauseMs = options.pauseMs ?? 2;
    this.idleMs = options.idleMs ?? 5000;
    this.logEveryMs = options.logEveryMs ?? 5000;
    this.log = options.log;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Work may be waiting (a definition changed): stop idling. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    await this.running;
  }

  /** Steps until nothing is left to build or drop (tests and tools that want the state ready now). */
  async runUntilIdle(): Promise<void> {
    while ((await this.step()).pending) {}
  }

  private async step() {
    const step = await this.store.buildSegmentState(this.batchEvents);
    const now = Date.now();
    for (const p of step.progress) {
      const id = `${p.accountId}/${p.key}`;
      if (!p.ready && now - (this.lastLog.get(id) ?? 0) < this.logEveryMs) continue;
      this.lastLog.set(id, now);
      if (p.ready) this.lastLog.delete(id);
      this.log?.info(
        { accountId: p.accountId, leaf: p.key, scanned: p.scanned, total: p.total },
        p.ready ? 'segment state ready' : 'segment state building',
      );
    }
    return step;
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      let pending = false;
      try {
        this.woken = false;
        pending = (await this.step()).pending;
      } catch (err) {
        if (this.closed) return;
        this.log?.error({ err }, 'segment state rebuild step failed; retrying later');
      }
      if (this.closed) return;
      await this.sleep(pending ? this.pauseMs : this.idleMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      // An idle builder never keeps the process alive.
      timer.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = null;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
