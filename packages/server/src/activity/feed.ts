import type { IngestBatch, IngestOutcome } from '../store/store.js';
import { LiveHub } from './live-hub.js';
import { MinuteCounters } from './minute-counters.js';

/**
 * What the console's overview and live pages read: per-minute counters and the live streams, fed after each group
 * commit (so nothing is shown before it is durable) and on each refused event batch.
 */
export class ActivityFeed {
  readonly counters: MinuteCounters;
  readonly live: LiveHub;
  /** When this node started counting (ms since epoch): the counters know nothing before it. */
  readonly startedAt: number;

  constructor(now: () => number, live: LiveHub = new LiveHub()) {
    this.counters = new MinuteCounters(now);
    this.live = live;
    this.startedAt = now();
  }

  /** After COMMIT: `outcomes[i]` is what `batches[i]` did. */
  committed(batches: readonly IngestBatch[], outcomes: readonly IngestOutcome[]): void {
    batches.forEach((batch, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) return;
      this.counters.add(batch.accountId, {
        accepted: outcome.stored,
        duplicates: outcome.duplicates,
        merges: outcome.merges,
      });
      if (this.live.listening(batch.accountId))
        this.live.publish(batch.accountId, 'accepted', acceptedJson(batch, outcome));
    });
  }

  /** A batch refused with a 4xx (or 503) after its key was accepted; `body` is the error body sent. */
  rejected(accountId: string, status: number, body: unknown, at: number): void {
    this.counters.add(accountId, { rejected: 1 });
    if (!this.live.listening(accountId)) return;
    const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
    this.live.publish(
      accountId,
      'rejected',
      JSON.stringify({ received_at: new Date(at).toISOString(), status, detail: detail ?? null }),
    );
  }
}

/** The events as sent, spliced from the JSON validation already produced (no second serialisation). */
function acceptedJson(batch: IngestBatch, outcome: IngestOutcome): string {
  const events = batch.events
    .map(
      (e) =>
        `{"type":${JSON.stringify(e.type)},"action":${JSON.stringify(e.action)},"identifiers":${e.identifiersJson},"data":${e.dataJson}}`,
    )
    .join(',');
  return (
    `{"received_at":${JSON.stringify(new Date(batch.receivedAt).toISOString())},"stored":${outcome.stored},` +
    `"duplicates":${outcome.duplicates},"merges":${outcome.merges},"events":[${events}]}`
  );
}
