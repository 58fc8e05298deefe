import type { AccountStats, IngestBatch, IngestOutcome } from '../store.js';

/**
 * The per-account counters (`account_counters`) that /admin/v1/stats reads instead of counting rows. Column names
 * are the same in both stores.
 */
export const COUNTER_COLUMNS = [
  'customers',
  'events',
  'unattributed',
  'duplicates',
  'merges',
  'refused_merges',
] as const;
export type CounterColumn = (typeof COUNTER_COLUMNS)[number];
export type CounterDeltas = Record<CounterColumn, number>;

/**
 * What one group commit adds to each account's counters, accounts in ascending id order (so concurrent writers
 * update counter rows in one order). A merge removes a customer, so customers grows by created minus merged.
 */
export function counterDeltas(batches: IngestBatch[], outcomes: IngestOutcome[]): [account: string, CounterDeltas][] {
  const per = new Map<string, CounterDeltas>();
  batches.forEach((batch, i) => {
    const o = outcomes[i] as IngestOutcome;
    let c = per.get(batch.accountId);
    if (c === undefined) {
      c = { customers: 0, events: 0, unattributed: 0, duplicates: 0, merges: 0, refused_merges: 0 };
      per.set(batch.accountId, c);
    }
    c.customers += o.customersCreated - o.merges;
    c.events += o.stored;
    c.unattributed += o.unattributed;
    c.duplicates += o.duplicates;
    c.merges += o.merges;
    c.refused_merges += o.refusedMerges;
  });
  return [...per].sort((a, b) => Number(a[0]) - Number(b[0]));
}

/** An account's stats from its counter row (or the sum of its shards); no row means nothing stored yet. */
export function statsFromCounters(
  row: Partial<Record<CounterColumn, number | string | null>> | undefined,
): AccountStats {
  const n = (k: CounterColumn) => Number(row?.[k] ?? 0);
  return {
    customers: n('customers'),
    events: n('events'),
    unattributed: n('unattributed'),
    duplicates: n('duplicates'),
    merges: n('merges'),
    refusedMerges: n('refused_merges'),
  };
}
