import type pg from 'pg';
import { lookupIdentity } from '../common/identifiers.js';
import type { CustomerDeletion, ExportedEvent, ExportPage } from '../store.js';
import { inTransaction, RetryableConflict } from './connection.js';
import { COUNTER_SHARDS } from './ingest.js';
import type { EventRow } from './queries.js';
import { decodeText, encodeText } from './text.js';

/**
 * The data-lifecycle statements of the PostgreSQL store. Counters are adjusted in the deleting transaction, on a
 * random shard like ingestion's (a shard may go negative; their sum, which is what stats read, stays exact).
 */

const OWNER_ROUNDS = 16;

async function subtractCounters(
  client: pg.ClientBase,
  account: string,
  d: { customers: number; events: number; unattributed: number },
): Promise<void> {
  await client.query(
    `INSERT INTO account_counters AS t (account_id, shard, customers, events, unattributed)
     VALUES ($1, $2, -$3::bigint, -$4::bigint, -$5::bigint)
     ON CONFLICT (account_id, shard) DO UPDATE SET customers = t.customers + excluded.customers,
       events = t.events + excluded.events, unattributed = t.unattributed + excluded.unattributed`,
    [account, Math.floor(Math.random() * COUNTER_SHARDS), d.customers, d.events, d.unattributed],
  );
}

/**
 * Locks the owner of the identity the way ingestion does (its customer row FOR UPDATE, then a re-read until the
 * owner is stable), so a concurrent group commit either finished before (and its events are deleted too) or waits
 * and then finds the identity gone.
 */
async function lockOwner(client: pg.ClientBase, account: string, type: string, value: string): Promise<string | null> {
  const read = async () =>
    (
      await client.query<{ customer_id: string }>(
        'SELECT customer_id FROM identities WHERE account_id = $1 AND type = $2 AND value = $3',
        [account, encodeText(type), encodeText(value)],
      )
    ).rows[0]?.customer_id ?? null;
  let owner = await read();
  for (let round = 0; round < OWNER_ROUNDS && owner !== null; round++) {
    await client.query('SELECT id FROM customers WHERE id = $1 FOR UPDATE', [owner]);
    const again = await read();
    if (again === owner) return owner;
    owner = again;
  }
  if (owner === null) return null;
  throw new RetryableConflict('the owner of the identity kept changing while being locked');
}

export function deleteCustomer(
  pool: pg.Pool,
  account: string,
  key: string,
  value: string,
): Promise<CustomerDeletion | null> {
  const identity = lookupIdentity(key, value);
  if (identity === null) return Promise.resolve(null);
  return inTransaction(pool, async (client) => {
    const customer = await lockOwner(client, account, identity.type, identity.value);
    if (customer === null) return null;
    // A merge leaves a one-hop redirect (chains are re-pointed), and the merged customer's events stay under its id.
    const merged = (
      await client.query<{ id: string }>('SELECT id FROM customers WHERE merged_into = $1', [customer])
    ).rows.map((r) => r.id);
    const all = [customer, ...merged];
    const events = await client.query('DELETE FROM events WHERE account_id = $1 AND customer_id = ANY($2::bigint[])', [
      account,
      all,
    ]);
    const ids = await client.query('DELETE FROM identities WHERE customer_id = $1', [customer]);
    await client.query('DELETE FROM customers WHERE id = ANY($1::bigint[])', [all]);
    await client.query('DELETE FROM segment_state WHERE customer_id = ANY($1::bigint[])', [all]);
    await subtractCounters(client, account, { customers: 1, events: events.rowCount ?? 0, unattributed: 0 });
    return {
      customerId: customer,
      events: events.rowCount ?? 0,
      identifiers: ids.rowCount ?? 0,
      mergedCustomers: merged.length,
    };
  });
}

export function deleteEventsBefore(pool: pg.Pool, cutoffMs: number, limit: number): Promise<number> {
  return inTransaction(pool, async (client) => {
    // Per account, oldest first through (account_id, received_at); SKIP LOCKED: two nodes running retention at once
    // take different rows instead of queueing on the same ones.
    const { rows } = await client.query<{ account_id: string; n: string; unattributed: string }>(
      `WITH doomed AS (
         SELECT e.id FROM accounts a CROSS JOIN LATERAL (
           SELECT id FROM events WHERE account_id = a.id AND received_at < $1 ORDER BY received_at LIMIT $2
           FOR UPDATE SKIP LOCKED) e
         LIMIT $2),
       gone AS (DELETE FROM events WHERE id IN (SELECT id FROM doomed) RETURNING account_id, customer_id)
       SELECT account_id, count(*) AS n, count(*) FILTER (WHERE customer_id IS NULL) AS unattributed
       FROM gone GROUP BY account_id ORDER BY account_id`,
      [cutoffMs, limit],
    );
    let deleted = 0;
    for (const r of rows) {
      await subtractCounters(client, r.account_id, {
        customers: 0,
        events: Number(r.n),
        unattributed: Number(r.unattributed),
      });
      deleted += Number(r.n);
    }
    return deleted;
  });
}

/** One export page on any connection or pool (the store's, or a read-only one opened by `odpkit export --db`). */
export async function exportEvents(
  db: pg.Pool | pg.ClientBase,
  account: string,
  p: ExportPage,
): Promise<ExportedEvent[]> {
  const { rows } = await db.query<EventRow>(
    // The bounded id range makes the primary key the cheap plan: without it, an account with few events among many
    // was planned as a scan of the whole table (or of the account) and a sort, on every page.
    `SELECT id, type, action, identifiers, data, received_at FROM events
     WHERE id > $2 AND id <= $3 AND account_id = $1 AND received_at >= $4 AND received_at < $5 ORDER BY id LIMIT $6`,
    [account, p.afterId, p.throughId, p.sinceMs, p.untilMs, p.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    type: decodeText(r.type),
    action: decodeText(r.action),
    identifiersJson: r.identifiers,
    dataJson: r.data,
    receivedAt: Number(r.received_at),
  }));
}

export async function oldestEventAt(db: pg.Pool, account: string): Promise<number | null> {
  const { rows } = await db.query<{ at: string | null }>(
    'SELECT min(received_at) AS at FROM events WHERE account_id = $1',
    [account],
  );
  const at = rows[0]?.at ?? null;
  return at === null ? null : Number(at);
}

export async function lastEventId(db: pg.Pool | pg.ClientBase): Promise<number> {
  const { rows } = await db.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM events');
  return Number(rows[0]?.id ?? 0);
}
