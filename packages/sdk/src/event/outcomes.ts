import type {
  DeliverySummary,
  EventOutcome,
  EventStatus,
  Logger,
  OdpEvent,
  OutcomeCode,
  OutcomeCounts,
  OutcomeListener,
} from '../types.js';

interface Window {
  /** Highest sequence number in this window; Infinity while it is the open (current) window. */
  hi: number;
  unsettled: number;
  counts: OutcomeCounts;
  reasons: Map<string, number>;
  /** Set when shutdown gave up waiting on this window (its events were failed with shutdown_timeout). */
  timedOut: boolean;
  resolve?: (s: DeliverySummary) => void;
}

/** A closed window: its summary, and the handle to stop waiting for it (expire). */
export interface ClosedWindow {
  readonly summary: Promise<DeliverySummary>;
  readonly window: Window;
}

const STATUS_KEY: Record<EventStatus, keyof OutcomeCounts> = {
  sent: 'sent',
  failed: 'failed',
  dropped: 'dropped',
  rejected: 'rejected',
};

export interface SettleExtras {
  detail?: unknown;
  httpStatus?: number;
  attempts?: number;
}

/**
 * The fate of every event: each sendOdpEvent call gets a sequence number and is settled exactly once (rejected,
 * sent, failed or dropped). Listeners hear each outcome; flush() closes the current "window" of sequence numbers
 * and resolves with its counts once every event in it, and in every earlier window, has settled.
 */
export class OutcomeLedger {
  private readonly listeners = new Set<OutcomeListener>();
  private readonly windows: Window[] = [openWindow()];
  private nextSeq = 1;
  readonly totals: OutcomeCounts = { sent: 0, failed: 0, dropped: 0, rejected: 0 };

  constructor(private readonly logger: Logger) {}

  on(listener: OutcomeListener): void {
    if (typeof listener === 'function') this.listeners.add(listener);
  }

  off(listener: OutcomeListener): void {
    this.listeners.delete(listener);
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  /** Allocates the next sequence number; the event counts as unsettled until settle() is called for it. */
  begin(): number {
    this.windows[this.windows.length - 1]!.unsettled++;
    return this.nextSeq++;
  }

  /** Sequence number of the latest event begun (0 before any). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  settle(
    seq: number,
    status: EventStatus,
    code: OutcomeCode,
    reason: string,
    json?: string,
    extras?: SettleExtras,
  ): void {
    const key = STATUS_KEY[status];
    this.totals[key]++;
    const w = this.windowOf(seq);
    w.counts[key]++;
    w.unsettled--;
    if (status !== 'sent') w.reasons.set(reason, (w.reasons.get(reason) ?? 0) + 1);
    if (this.listeners.size > 0) this.emit(status, code, reason, json, extras);
    if (w.unsettled === 0 && w.hi !== Number.POSITIVE_INFINITY) this.resolveReady();
  }

  /** Closes the current window; its summary resolves when it and all earlier windows have settled. */
  closeWindow(): ClosedWindow {
    const w = this.windows[this.windows.length - 1]!;
    w.hi = this.lastSeq;
    this.windows.push(openWindow());
    const summary = new Promise<DeliverySummary>((resolve) => {
      w.resolve = resolve;
    });
    this.resolveReady();
    return { summary, window: w };
  }

  /** The summary of `closed` will say the wait timed out (shutdown is about to fail what is left). */
  markTimedOut(closed: ClosedWindow): void {
    closed.window.timedOut = true;
  }

  /**
   * Stops waiting for a window (flush() timed out): its summary resolves now, counting what is still unsettled as
   * `pending` under `pendingReason`. Those events move to the next window: they are counted when they settle.
   */
  expire(closed: ClosedWindow, pendingReason: string): void {
    const w = closed.window;
    const i = this.windows.indexOf(w);
    if (i === -1) return; // already resolved
    // The open window is always last and w is closed, so a next window exists.
    const next = this.windows[i + 1]!;
    next.unsettled += w.unsettled;
    this.windows.splice(i, 1);
    if (w.unsettled > 0) w.reasons.set(pendingReason, (w.reasons.get(pendingReason) ?? 0) + w.unsettled);
    w.timedOut = true;
    w.resolve?.(this.summaryOf(w));
  }

  private windowOf(seq: number): Window {
    for (const w of this.windows) if (seq <= w.hi) return w;
    return this.windows[this.windows.length - 1]!;
  }

  private resolveReady(): void {
    while (this.windows.length > 1) {
      const w = this.windows[0]!;
      if (w.unsettled > 0) return;
      this.windows.shift();
      w.resolve?.(this.summaryOf(w));
    }
  }

  private summaryOf(w: Window): DeliverySummary {
    return {
      ...w.counts,
      pending: w.unsettled,
      timedOut: w.timedOut,
      reasons: Object.fromEntries(w.reasons),
      totals: { ...this.totals },
    };
  }

  private emit(
    status: EventStatus,
    code: OutcomeCode,
    reason: string,
    json: string | undefined,
    extras: SettleExtras | undefined,
  ): void {
    const outcome: EventOutcome = { status, code, reason };
    if (json !== undefined) outcome.event = JSON.parse(json) as OdpEvent;
    if (extras) {
      if (extras.detail !== undefined) outcome.detail = extras.detail;
      if (extras.httpStatus !== undefined) outcome.httpStatus = extras.httpStatus;
      if (extras.attempts !== undefined) outcome.attempts = extras.attempts;
    }
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch (err) {
        // A broken listener must not break delivery of the other events.
        this.logger.error('an "event" listener threw', err);
      }
    }
  }
}

function openWindow(): Window {
  return {
    hi: Number.POSITIVE_INFINITY,
    unsettled: 0,
    counts: { sent: 0, failed: 0, dropped: 0, rejected: 0 },
    reasons: new Map(),
    timedOut: false,
  };
}
