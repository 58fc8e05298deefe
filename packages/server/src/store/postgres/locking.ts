import { createHash } from 'node:crypto';
import type pg from 'pg';
import { MAX_IDENTIFIERS_PER_CUSTOMER } from '../../ingest/stitch.js';
import { RetryableConflict } from './connection.js';
import { decodeText, encodeText } from './text.js';

/**
 * Locking for identity stitching across nodes (READ COMMITTED; see README.md "Locking"). Two kinds of state must not
 * change under a transaction between reading and writing:
 *
 * - identities that do not exist yet: two nodes must not both create a customer for the same new email. There is no
 *   row to lock, so the transaction takes a transaction-scoped advisory lock on a 64-bit hash of (account, type,
 *   value), in sorted order so two transactions never wait on each other in a cycle. Each such lock occupies an entry
 *   of PostgreSQL's shared lock table (max_locks_per_transaction × connections), so a group with more than
 *   MAX_IDENTITY_LOCKS new identities (a bulk import) takes one exclusive lock on its account instead; every
 *   fine-grained locker holds that account lock in shared mode, which makes the two modes exclude each other.
 * - customers that own an identity of the group: a merge moves ALL identities of the merged customer, including ones
 *   no event of this group carries, so locking identities alone is not enough. The owners' customer rows are locked
 *   FOR UPDATE (row locks live in the tuples, not in the lock table), then the owners are read again: an owner that
 *   changed meanwhile (a merge or a vuid move committed by another node) is locked in turn, until a read after the
 *   last lock finds only locked owners. Any writer of an identity holds the lock of its owner, so from then on the
 *   owners and their identifiers cannot change until COMMIT.
 *
 * Lock order is: dedup keys (sorted), account locks (sorted), identity locks (sorted), customer rows (sorted per
 * round). Only a later round of customer locks can go against that order; PostgreSQL then reports a deadlock and the
 * whole transaction is retried (connection.ts).
 */

export const MAX_IDENTITY_LOCKS = 256;
const MAX_OWNER_ROUNDS = 16;

export interface IdentityRow {
  account: string;
  type: string;
  value: string;
}

function lockKey(parts: readonly string[]): bigint {
  return createHash('sha256').update(JSON.stringify(parts)).digest().readBigInt64BE(0);
}

const sortedKeys = (keys: bigint[]): string[] =>
  [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);

async function advisoryLocks(client: pg.ClientBase, keys: bigint[], mode: 'shared' | 'exclusive'): Promise<void> {
  if (keys.length === 0) return;
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  // The ordinality keeps the sorted order: locks are taken one row at a time, in that order.
  await client.query(
    `SELECT ${fn}(k) FROM (SELECT k FROM unnest($1::bigint[]) WITH ORDINALITY AS u(k, o) ORDER BY o) AS s`,
    [sortedKeys(keys)],
  );
}

/** The current owner of each identity (index into `ids`), as committed right now. */
export async function readOwners(client: pg.ClientBase, ids: readonly IdentityRow[]): Promise<(number | null)[]> {
  const owners: (number | null)[] = new Array(ids.length).fill(null);
  if (ids.length === 0) return owners;
  const { rows } = await client.query<{ o: string; customer_id: string }>(
    `SELECT u.o, i.customer_id FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS u(a, t, v, o)
     JOIN identities i ON i.account_id = u.a AND i.type = u.t COLLATE "C" AND i.value = u.v COLLATE "C"`,
    [ids.map((r) => r.account), ids.map((r) => encodeText(r.type)), ids.map((r) => encodeText(r.value))],
  );
  for (const r of rows) owners[Number(r.o) - 1] = Number(r.customer_id);
  return owners;
}

/**
 * Takes every lock the group needs and returns the owners of `ids` as they will stay until COMMIT.
 */
export async function lockIdentities(client: pg.ClientBase, ids: readonly IdentityRow[]): Promise<(number | null)[]> {
  if (ids.length === 0) return [];
  const first = await readOwners(client, ids);
  const unowned = ids.filter((_, i) => first[i] === null);
  const accounts = [...new Set(unowned.map((r) => r.account))].map((a) => lockKey(['account', a]));
  if (unowned.length > MAX_IDENTITY_LOCKS) {
    await advisoryLocks(client, accounts, 'exclusive');
  } else if (unowned.length > 0) {
    // A group that creates no identity needs no creation lock: only the customer locks below.
    await advisoryLocks(client, accounts, 'shared');
    await advisoryLocks(
      client,
      unowned.map((r) => lockKey(['identity', r.account, r.type, r.value])),
      'exclusive',
    );
  }

  const locked = new Set<number>();
  let owners = unowned.length > 0 ? await readOwners(client, ids) : first;
  for (let round = 0; round < MAX_OWNER_ROUNDS; round++) {
    // An identity owned at the first read and unowned now was deleted with its customer (data deletion) after that
    // read; it holds no creation lock, so start again: the next attempt sees it unowned and locks it as new.
    if (owners.some((o, i) => o === null && first[i] !== null)) {
      throw new RetryableConflict('an identity was deleted while being locked');
    }
    const need = [...new Set(owners.filter((o): o is number => o !== null && !locked.has(o)))].sort((a, b) => a - b);
    if (need.length === 0) return owners;
    await client.query('SELECT id FROM customers WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [need]);
    for (const c of need) locked.add(c);
    owners = await readOwners(client, ids);
  }
  // Owners kept changing under us (a storm of merges on these customers): start the transaction again.
  throw new RetryableConflict('identity owners kept changing while being locked');
}

/**
 * The identity count per type of each customer, over its first MAX_IDENTIFIERS_PER_CUSTOMER + 1 identities in type
 * byte order (as SQLite's countOf and typesOf read them): exact for every customer within the cap, and never more rows
 * than that per customer, whatever it holds. The snapshot's typesOf is the types counted here.
 */
export async function loadIdentityCounts(
  client: pg.ClientBase,
  customers: readonly number[],
): Promise<Map<number, Map<string, number>>> {
  const out = new Map<number, Map<string, number>>();
  if (customers.length === 0) return out;
  for (const c of customers) out.set(c, new Map());
  const { rows } = await client.query<{ customer_id: string; type: string; n: number }>(
    `SELECT c.id AS customer_id, x.type, count(*)::int AS n FROM unnest($1::bigint[]) AS c(id)
     CROSS JOIN LATERAL (SELECT type FROM identities WHERE customer_id = c.id ORDER BY type LIMIT $2) AS x
     GROUP BY c.id, x.type`,
    [customers, MAX_IDENTIFIERS_PER_CUSTOMER + 1],
  );
  for (const r of rows) out.get(Number(r.customer_id))?.set(decodeText(r.type), r.n);
  return out;
}
