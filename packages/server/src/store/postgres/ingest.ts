import type pg from 'pg';
import { type CustomerId, stitch } from '../../ingest/stitch.js';
import { type CounterColumn, counterDeltas } from '../common/counters.js';
import {
  countStored,
  emptyOutcome,
  type Identity,
  type IngestBatch,
  type IngestOutcome,
  type PreparedEvent,
} from '../store.js';
import { type IdentityRow, loadIdentityCounts, lockIdentities } from './locking.js';
import { lockAndLoadLeaves, updateStateOnIngest } from './segment-state.js';
import { FIRST_TEMP_ID, identityKey, SnapshotGraph } from './snapshot-graph.js';
import { dedupKey, encodeText, wellFormed } from './text.js';

/**
 * One group commit on PostgreSQL: the same steps and outcomes as the SQLite store, as a handful of set-based
 * statements so a group of thousands of events costs a few round trips, not thousands.
 *   1. dedup: claim every idempotence key with INSERT … ON CONFLICT DO NOTHING RETURNING. A key another node holds in
 *      an open transaction makes this wait for its COMMIT, so a batch retried against another node is stored once.
 *   2. lock the identities and their owners (locking.ts), load the owners' bounded per-type counts.
 *   3. stitch() every stored event, in order, against the in-memory snapshot (snapshot-graph.ts).
 *   4. write the snapshot's changes, the events and the counters.
 */

export const COUNTER_SHARDS = 64;

/** Identities as the database compares them (see text.ts), once each. */
function canonicalIdentities(identities: Identity[]): Identity[] {
  const out: Identity[] = [];
  const seen = new Set<string>();
  for (const id of identities) {
    const type = wellFormed(id.type);
    const value = wellFormed(id.value);
    const key = `${type.length}:${type}${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type, value });
  }
  return out;
}

/** Which events to store: not a duplicate of a stored key, nor of an earlier event of this group. */
async function claimDedupKeys(client: pg.ClientBase, batches: IngestBatch[]): Promise<boolean[][]> {
  const firstOf = new Map<string, [number, number]>();
  const accounts: string[] = [];
  const keys: Buffer[] = [];
  batches.forEach((batch, b) => {
    batch.events.forEach((ev, e) => {
      if (ev.idempotenceId === null) return;
      const key = dedupKey(ev.idempotenceId);
      const id = `${batch.accountId}|${key.toString('hex')}`;
      if (firstOf.has(id)) return;
      firstOf.set(id, [b, e]);
      accounts.push(batch.accountId);
      keys.push(key);
    });
  });
  const keep = batches.map((batch) => batch.events.map((ev) => ev.idempotenceId === null));
  if (keys.length === 0) return keep;
  // Sorted, so two transactions claiming overlapping keys wait on each other in one order and never deadlock.
  const { rows } = await client.query<{ account_id: string; key: Buffer }>(
    `INSERT INTO dedup (account_id, key) SELECT a, k FROM unnest($1::bigint[], $2::bytea[]) AS u(a, k) ORDER BY a, k
     ON CONFLICT DO NOTHING RETURNING account_id, key`,
    [accounts, keys],
  );
  for (const r of rows) {
    const at = firstOf.get(`${r.account_id}|${r.key.toString('hex')}`);
    if (at) (keep[at[0]] as boolean[])[at[1]] = true;
  }
  return keep;
}

interface Attributed {
  batch: IngestBatch;
  event: PreparedEvent;
  customer: CustomerId | null;
}

export async function ingestGroup(client: pg.ClientBase, batches: IngestBatch[]): Promise<IngestOutcome[]> {
  // First: the segment leaves these accounts' events must be counted in (segment-state.ts, "boundary").
  const leaves = await lockAndLoadLeaves(
    client,
    batches.map((b) => b.accountId),
  );
  const keep = await claimDedupKeys(client, batches);

  // Every identity the stored events carry, once.
  const refs = new Map<string, IdentityRow>();
  const identitiesOf = batches.map((batch, b) =>
    batch.events.map((ev, e) => {
      if (!keep[b]?.[e]) return [];
      const ids = canonicalIdentities(ev.identities);
      for (const id of ids)
        refs.set(identityKey(batch.accountId, id.type, id.value), { account: batch.accountId, ...id });
      return ids;
    }),
  );
  const rows = [...refs.values()];
  const owners = await lockIdentities(client, rows);

  const graph = new SnapshotGraph();
  rows.forEach((r, i) => {
    graph.setOwner(r, owners[i] ?? null);
  });
  const ownerIds = [...new Set(owners.filter((o): o is number => o !== null))];
  for (const [customer, counts] of await loadIdentityCounts(client, ownerIds)) graph.setCounts(customer, counts);

  const outcomes: IngestOutcome[] = [];
  const stored: Attributed[] = [];
  batches.forEach((batch, b) => {
    const outcome = emptyOutcome();
    const tx = graph.forAccount(batch.accountId, batch.receivedAt);
    batch.events.forEach((event, e) => {
      if (!keep[b]?.[e]) {
        outcome.duplicates++;
        return;
      }
      const s = stitch(tx, identitiesOf[b]?.[e] ?? []);
      stored.push({ batch, event, customer: s.customer });
      countStored(outcome, event, s);
    });
    outcomes.push(outcome);
  });

  const real = await writeCustomers(client, graph);
  await writeMergedIdentities(client, graph, real);
  await writeIdentities(client, graph, real);
  await writeEvents(client, stored, (c) => real(graph.rootOf(c)));
  await updateStateOnIngest(
    client,
    leaves,
    graph,
    real,
    stored.map((s) => ({
      accountId: s.batch.accountId,
      receivedAt: s.batch.receivedAt,
      event: s.event,
      customer: s.customer,
    })),
  );
  await writeCounters(client, batches, outcomes);
  return outcomes;
}

/** Allocates real ids for the created customers, writes customers and merge records; returns temp → real. */
async function writeCustomers(client: pg.ClientBase, graph: SnapshotGraph): Promise<(c: CustomerId) => number> {
  const { created, mergedInto, merges, refused } = graph.changes;
  let allocated: number[] = [];
  if (created.length > 0) {
    const { rows } = await client.query<{ id: string }>(
      `SELECT nextval(pg_get_serial_sequence('customers', 'id')) AS id FROM generate_series(1, $1::int)`,
      [created.length],
    );
    // Ascending, so customers created earlier in the group stay "older" (smaller) once real.
    allocated = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }
  const real = (c: CustomerId): number => (c >= FIRST_TEMP_ID ? (allocated[c - FIRST_TEMP_ID] as number) : c);

  if (created.length > 0) {
    await client.query(
      `INSERT INTO customers (id, account_id, created_at, merged_into)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])`,
      [
        created.map((c) => real(c.temp)),
        created.map((c) => c.account),
        created.map((c) => c.at),
        created.map((c) => {
          const into = mergedInto.get(c.temp);
          return into === undefined ? null : real(into);
        }),
      ],
    );
  }
  const mergedExisting = [...mergedInto].filter(([from]) => from < FIRST_TEMP_ID).sort((a, b) => a[0] - b[0]);
  if (mergedExisting.length > 0) {
    const params = [mergedExisting.map(([f]) => f), mergedExisting.map(([, i]) => real(i))];
    await client.query(
      `UPDATE customers c SET merged_into = m.i FROM unnest($1::bigint[], $2::bigint[]) AS m(f, i) WHERE c.id = m.f`,
      params,
    );
    // Customers merged earlier into one merged now: re-point them, so every redirect stays one hop.
    await client.query(
      `UPDATE customers c SET merged_into = m.i FROM unnest($1::bigint[], $2::bigint[]) AS m(f, i)
       WHERE c.merged_into = m.f`,
      params,
    );
  }
  if (merges.length > 0) {
    await client.query(
      `INSERT INTO merges (account_id, from_customer, into_customer, at)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])`,
      [
        merges.map((m) => m.account),
        merges.map((m) => real(m.from)),
        merges.map((m) => real(m.into)),
        merges.map((m) => m.at),
      ],
    );
  }
  if (refused.length > 0) {
    await client.query(
      `INSERT INTO refused_merges (account_id, kept_customer, refused_customer, type, at)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[])`,
      [
        refused.map((r) => r.account),
        refused.map((r) => real(r.kept)),
        refused.map((r) => real(r.refused)),
        refused.map((r) => encodeText(r.type)),
        refused.map((r) => r.at),
      ],
    );
  }
  return real;
}

/**
 * Every identity of a customer merged in this group moves to the merge's root, in one statement: the snapshot holds
 * only the group's own identities, not the merged customers' others. Runs before writeIdentities, whose per-row
 * changes are final. (Customers created in this group own only identities of the group, written by writeIdentities.)
 */
async function writeMergedIdentities(client: pg.ClientBase, graph: SnapshotGraph, real: (c: CustomerId) => number) {
  const merged = [...graph.changes.mergedInto].filter(([from]) => from < FIRST_TEMP_ID).sort((a, b) => a[0] - b[0]);
  if (merged.length === 0) return;
  await client.query(
    `UPDATE identities i SET customer_id = m.i FROM unnest($1::bigint[], $2::bigint[]) AS m(f, i) WHERE i.customer_id = m.f`,
    [merged.map(([f]) => f), merged.map(([, i]) => real(i))],
  );
}

async function writeIdentities(client: pg.ClientBase, graph: SnapshotGraph, real: (c: CustomerId) => number) {
  // Sorted by key: the rows are locked in one order by every writer.
  const changes = [...graph.ownerChanges().entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const added = changes.filter(([, c]) => c.isNew).map(([, c]) => c);
  const moved = changes.filter(([, c]) => !c.isNew).map(([, c]) => c);
  const params = (list: typeof added) => [
    list.map((c) => c.account),
    list.map((c) => encodeText(c.type)),
    list.map((c) => encodeText(c.value)),
    list.map((c) => real(c.customer)),
  ];
  if (added.length > 0) {
    await client.query(
      `INSERT INTO identities (account_id, type, value, customer_id)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])`,
      params(added),
    );
  }
  if (moved.length > 0) {
    await client.query(
      `UPDATE identities i SET customer_id = u.c FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS u(a, t, v, c)
       WHERE i.account_id = u.a AND i.type = u.t COLLATE "C" AND i.value = u.v COLLATE "C"`,
      params(moved),
    );
  }
}

async function writeEvents(client: pg.ClientBase, stored: Attributed[], customerOf: (c: CustomerId) => number) {
  if (stored.length === 0) return;
  // WITH ORDINALITY … ORDER BY: ids follow the order events arrived in, the tie-break of "newest first".
  await client.query(
    `INSERT INTO events (account_id, customer_id, received_at, type, action, identifiers, data)
     SELECT a, c, r, t, x, i, d FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
       WITH ORDINALITY AS u(a, c, r, t, x, i, d, o) ORDER BY o`,
    [
      stored.map((s) => s.batch.accountId),
      stored.map((s) => (s.customer === null ? null : customerOf(s.customer))),
      stored.map((s) => s.batch.receivedAt),
      stored.map((s) => encodeText(s.event.type)),
      stored.map((s) => encodeText(s.event.action)),
      stored.map((s) => s.event.identifiersJson),
      stored.map((s) => s.event.dataJson),
    ],
  );
}

async function writeCounters(client: pg.ClientBase, batches: IngestBatch[], outcomes: IngestOutcome[]) {
  const deltas = counterDeltas(batches, outcomes);
  const col = (k: CounterColumn) => deltas.map(([, c]) => c[k]);
  // A random shard per transaction: concurrent commits from several nodes rarely touch the same counter row.
  const shard = Math.floor(Math.random() * COUNTER_SHARDS);
  await client.query(
    `INSERT INTO account_counters AS t (account_id, shard, customers, events, unattributed, duplicates, merges, refused_merges)
     SELECT a, $2::smallint, c, e, u, d, m, r
       FROM unnest($1::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
         AS x(a, c, e, u, d, m, r)
     ON CONFLICT (account_id, shard) DO UPDATE SET customers = t.customers + excluded.customers,
       events = t.events + excluded.events, unattributed = t.unattributed + excluded.unattributed,
       duplicates = t.duplicates + excluded.duplicates, merges = t.merges + excluded.merges,
       refused_merges = t.refused_merges + excluded.refused_merges`,
    [
      deltas.map(([account]) => account),
      shard,
      col('customers'),
      col('events'),
      col('unattributed'),
      col('duplicates'),
      col('merges'),
      col('refused_merges'),
    ],
  );
}
