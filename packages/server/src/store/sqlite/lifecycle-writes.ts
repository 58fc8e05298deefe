import type Database from 'better-sqlite3';
import type { CustomerDeletion } from '../store.js';

/**
 * The data-lifecycle writes of the SQLite store (deleting a customer, deleting old events), run on the writer
 * connection like every other write. Counters are adjusted in the same transaction, so /admin/v1/stats stays exact.
 * Deleting a customer deletes its segment state too. Retention leaves segment state as it is: state is what the
 * segments have counted so far, not history (see the README's retention section).
 */
export interface LifecycleWrites {
  /** `type` and `value` are already normalised as at ingestion. */
  deleteCustomer(account: number, type: string, value: string): CustomerDeletion | null;
  deleteEventsBefore(cutoffMs: number, limit: number): number;
}

export function createLifecycleWrites(db: Database.Database): LifecycleWrites {
  const q = {
    owner: db.prepare('SELECT customer_id FROM identities WHERE account_id = ? AND type = ? AND value = ?').pluck(),
    // A merge re-points identities and events to the survivor but leaves older merged_into links as they were, so
    // the customers that went into this one form a tree; the partial index on merged_into makes each step a probe.
    mergedTree: db
      .prepare(`WITH RECURSIVE tree(id) AS (SELECT id FROM customers WHERE merged_into = ?
        UNION ALL SELECT c.id FROM customers c JOIN tree t ON c.merged_into = t.id) SELECT id FROM tree`)
      .pluck(),
    deleteCustomerRow: db.prepare('DELETE FROM customers WHERE id = ?'),
    deleteEvents: db.prepare('DELETE FROM events WHERE account_id = ? AND customer_id = ?'),
    deleteIdentities: db.prepare('DELETE FROM identities WHERE customer_id = ?'),
    // Segment state is per customer; a merged customer's row went at the merge, deleting it again is harmless.
    deleteState: db.prepare('DELETE FROM segment_state WHERE customer_id = ?'),
    accounts: db.prepare('SELECT id FROM accounts ORDER BY id').pluck(),
    oldEvents: db.prepare(
      'SELECT id, customer_id FROM events WHERE account_id = ? AND received_at < ? ORDER BY received_at LIMIT ?',
    ),
    deleteEvent: db.prepare('DELETE FROM events WHERE id = ?'),
    subtract: db.prepare(
      `UPDATE account_counters SET customers = customers - ?, events = events - ?, unattributed = unattributed - ?
       WHERE account_id = ?`,
    ),
  };

  const deleteCustomerTx = db.transaction((account: number, type: string, value: string): CustomerDeletion | null => {
    const customer = q.owner.get(account, type, value) as number | undefined;
    if (customer === undefined) return null;
    const merged = q.mergedTree.all(customer) as number[];
    for (const id of [...merged, customer]) {
      q.deleteCustomerRow.run(id);
      q.deleteState.run(id);
    }
    const events = q.deleteEvents.run(account, customer).changes;
    const identifiers = q.deleteIdentities.run(customer).changes;
    // Merged customers were already subtracted when they merged; only this one leaves the count now.
    q.subtract.run(1, events, 0, account);
    return { customerId: String(customer), events, identifiers, mergedCustomers: merged.length };
  });

  const deleteBeforeTx = db.transaction((cutoffMs: number, limit: number): number => {
    let deleted = 0;
    for (const account of q.accounts.all() as number[]) {
      if (deleted >= limit) break;
      const rows = q.oldEvents.all(account, cutoffMs, limit - deleted) as { id: number; customer_id: number | null }[];
      let unattributed = 0;
      for (const r of rows) {
        q.deleteEvent.run(r.id);
        if (r.customer_id === null) unattributed++;
      }
      if (rows.length > 0) q.subtract.run(0, rows.length, unattributed, account);
      deleted += rows.length;
    }
    return deleted;
  });

  return {
    deleteCustomer: (account, type, value) => deleteCustomerTx.immediate(account, type, value),
    deleteEventsBefore: (cutoffMs, limit) => deleteBeforeTx.immediate(cutoffMs, limit),
  };
}
