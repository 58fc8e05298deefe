/**
 * The hot read queries, written so that the per-customer index is the only sensible plan even when the tables have
 * NO statistics (autovacuum off, or a store queried right after a bulk load): see README.md "Query plans".
 *
 * Merges leave a redirect (customers.merged_into) instead of rewriting the merged customer's events, so a customer's
 * history is its own events plus those of the customers merged into it. A merged (dead) id has none, as in SQLite,
 * where its events moved away.
 *
 * The old shape, `events WHERE account_id = $1 AND customer_id IN (SELECT … customers …)`, lets the planner pick a
 * semi-join; with no statistics it guessed the customer set large and scanned all of `events` (3 s at 1,000,000
 * events). Here the (at most a few) customer ids come first, and each one drives a LATERAL subquery whose only
 * inputs are constants and that one id: an equality on (account_id, customer_id) plus the index's own ORDER BY and
 * LIMIT. A sequential scan of the whole table per customer can never look cheaper than that index range scan.
 */

/** $2 = the customer id; yields its own id (if not merged away) and the ids of the customers merged into it. */
const HISTORY_IDS = `SELECT id FROM customers WHERE id = $2 AND merged_into IS NULL
      UNION ALL SELECT id FROM customers WHERE merged_into = $2`;

/** $1 account, $2 customer, $3 received_at lower bound (ms), $4 limit (NULL: all). Newest first. */
export const CUSTOMER_EVENTS_SQL = `SELECT e.type, e.action, e.identifiers, e.data, e.received_at
  FROM (${HISTORY_IDS}) AS c
  CROSS JOIN LATERAL (
    SELECT type, action, identifiers, data, received_at, id FROM events
    WHERE account_id = $1 AND customer_id = c.id AND received_at >= $3
    ORDER BY received_at DESC, id DESC LIMIT $4) AS e
  ORDER BY e.received_at DESC, e.id DESC LIMIT $4`;

/** $1 account, $2 customer, $3 receivedAt and $4 id of the last event shown, $5 limit. Newest first. */
export const CUSTOMER_EVENT_PAGE_SQL = `SELECT e.id, e.type, e.action, e.identifiers, e.data, e.received_at
  FROM (${HISTORY_IDS}) AS c
  CROSS JOIN LATERAL (
    SELECT type, action, identifiers, data, received_at, id FROM events
    WHERE account_id = $1 AND customer_id = c.id AND (received_at, id) < ($3::bigint, $4::bigint)
    ORDER BY received_at DESC, id DESC LIMIT $5) AS e
  ORDER BY e.received_at DESC, e.id DESC LIMIT $5`;

/** $1 account, $2 customer, $3 the most to count (NULL: all): counting stops there, so its cost is bounded too. */
export const CUSTOMER_EVENT_COUNT_SQL = `SELECT count(*) AS n FROM (
  SELECT 1 FROM (${HISTORY_IDS}) AS c
  CROSS JOIN LATERAL (SELECT 1 FROM events WHERE account_id = $1 AND customer_id = c.id LIMIT $3) AS e
  LIMIT $3) AS t`;

/** $1 account, $2 type, $3 value (encoded): the full primary key, so a unique-index probe whatever the statistics. */
export const IDENTITY_OWNER_SQL =
  'SELECT customer_id FROM identities WHERE account_id = $1 AND type = $2 AND value = $3';

/** $1 customer. */
/** A page of live customers in id order, each with its identifiers (one row per identifier). */
export const CUSTOMER_PAGE_SQL = `SELECT c.id::text AS id, i.type, i.value
  FROM (SELECT id FROM customers WHERE account_id = $1 AND merged_into IS NULL AND id > $2 ORDER BY id LIMIT $3) c
  LEFT JOIN identities i ON i.customer_id = c.id
  ORDER BY c.id, i.type, i.value`;

export const CUSTOMER_IDENTIFIERS_SQL =
  'SELECT type, value FROM identities WHERE customer_id = $1 ORDER BY type, value';

/** An events row as pg returns it: bigints and JSON columns come back as text. */
export interface EventRow {
  id: string;
  type: string;
  action: string;
  identifiers: string;
  data: string;
  received_at: string;
}
