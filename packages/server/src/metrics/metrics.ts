import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestOutcome } from '../store/store.js';

/**
 * One registry per app instance, never prom-client's global one: tests start many servers in one process, and two
 * servers must not share or double-register counters.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'odpkit_' });
  const registers = [registry];
  const m = {
    registry,
    eventsAccepted: new Counter({
      name: 'odpkit_events_accepted_total',
      help: 'Events stored (duplicates excluded)',
      registers,
    }),
    duplicates: new Counter({
      name: 'odpkit_events_duplicate_total',
      help: 'Events dropped as duplicates of a stored idempotence_id',
      registers,
    }),
    rejected: new Counter({
      name: 'odpkit_requests_rejected_total',
      help: 'Requests refused before their work was done: ingestion refusals by reason, and bodies refused on size or the in-flight budget on any route',
      labelNames: ['reason'] as const,
      registers,
    }),
    merges: new Counter({
      name: 'odpkit_customer_merges_total',
      help: 'Customers merged into an older one',
      registers,
    }),
    refusedMerges: new Counter({
      name: 'odpkit_customer_merges_refused_total',
      help: 'Merges refused because both customers held the same high-confidence identifier type',
      registers,
    }),
    vuidMoves: new Counter({
      name: 'odpkit_vuid_moves_total',
      help: 'Low-confidence identifiers moved to another customer',
      registers,
    }),
    unattributed: new Counter({
      name: 'odpkit_events_unattributed_total',
      help: 'Events stored without a customer: every identifier was ignored',
      registers,
    }),
    ignoredIdentifiers: new Counter({
      name: 'odpkit_identifiers_ignored_total',
      help: 'Identifier values ignored (deny-list or over 400 characters)',
      registers,
    }),
    cappedIdentifiers: new Counter({
      name: 'odpkit_identifiers_capped_total',
      help: 'Identifier values not added: the customer already holds 25 of that type',
      registers,
    }),
    commits: new Counter({
      name: 'odpkit_commits_total',
      help: 'Store transactions committed by the group committer',
      registers,
    }),
    connectionsDropped: new Counter({
      name: 'odpkit_connections_refused_total',
      help: 'Connections closed on arrival because maxConnections were already open',
      registers,
    }),
    inflightBodyBytes: new Gauge({
      name: 'odpkit_inflight_body_bytes',
      help: 'Bytes reserved by request bodies being read or processed (bounded by maxInflightBodyBytes)',
      registers,
    }),
    pendingEvents: new Gauge({
      name: 'odpkit_pending_commit_events',
      help: 'Events waiting for the next group commit',
      registers,
    }),
    requestDuration: new Histogram({
      name: 'odpkit_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    recordOutcome(o: IngestOutcome): void {
      m.eventsAccepted.inc(o.stored);
      m.duplicates.inc(o.duplicates);
      m.merges.inc(o.merges);
      m.refusedMerges.inc(o.refusedMerges);
      m.vuidMoves.inc(o.vuidMoves);
      m.unattributed.inc(o.unattributed);
      m.ignoredIdentifiers.inc(o.ignoredIdentifiers);
      m.cappedIdentifiers.inc(o.cappedIdentifiers);
    },
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
