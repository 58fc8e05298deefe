import { type AccountRow, planDefaultAccount, toAccount } from '../common/accounts.js';
import { COUNTER_COLUMNS, statsFromCounters } from '../common/counters.js';
import { checkHealthRow } from '../common/health.js';
import { identifiersRecord, lookupIdentity } from '../common/identifiers.js';
import { parseId } from '../common/ids.js';
import type { CustomerView, SegmentDefinitionRow, Store } from '../store.js';
import { eventPage, eventPageQuery, lazyStoredEvent } from '../stored-event.js';
import { type AnalyzeOptions, createAnalyzer } from './analyze.js';
import { createPool, inTransaction, parsePostgresUrl } from './connection.js';
import { ingestGroup } from './ingest.js';
import * as lifecycle from './lifecycle.js';
import {
  CUSTOMER_EVENT_COUNT_SQL,
  CUSTOMER_EVENT_PAGE_SQL,
  CUSTOMER_EVENTS_SQL,
  CUSTOMER_IDENTIFIERS_SQL,
  CUSTOMER_PAGE_SQL,
  type EventRow,
  IDENTITY_OWNER_SQL,
} from './queries.js';
import { migrate } from './schema.js';
import { buildStep, linkLeaves, readProgress, readState, unlinkLeaves } from './segment-state.js';
import { decodeText, encodeText } from './text.js';

export interface PostgresStoreOptions {
  /** Schema holding odpkit's tables, created if missing; overrides `?schema=` on the URL. */
  schema?: string;
  /** Connections per node: one runs group commits, the rest serve reads (lookups, segment queries). */
  poolSize?: number;
  now?: () => number;
  /** When the store ANALYZEs the tables itself (analyze.ts); the defaults suit production. */
  analyze?: AnalyzeOptions;
}

/** The arbitrary advisory-lock key under which nodes create or update the default account one at a time. */
const DEFAULT_ACCOUNT_LOCK = 7_215_004_412;

/**
 * The Store on PostgreSQL, for any number of server nodes over one database. Every write is a transaction that is
 * committed before the promise resolves (so a 202 means COMMIT); reads run on their own pooled connections in READ
 * COMMITTED, so they see everything any node has committed. See README.md beside this file.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const settings = parsePostgresUrl(url, options.schema);
  const pool = createPool(settings, options.poolSize ?? 10);
  const now = options.now ?? Date.now;
  try {
    const client = await pool.connect();
    try {
      await migrate(client, settings.schema);
    } finally {
      // The migration client changed its own search_path while creating the schema; do not reuse that session.
      client.release(true);
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  const analyzer = createAnalyzer(settings, pool, options.analyze);
  // A store bulk-loaded earlier (or by an older version) gets its statistics now, in the background.
  void analyzer.check();

  async function ownerOf(account: string, key: string, value: string): Promise<string | null> {
    const identity = lookupIdentity(key, value);
    if (identity === null) return null;
    const { rows } = await pool.query<{ customer_id: string }>(IDENTITY_OWNER_SQL, [
      account,
      encodeText(identity.type),
      encodeText(identity.value),
    ]);
    return rows[0]?.customer_id ?? null;
  }

  let closing: Promise<void> | null = null;
  const store: Store = {
    async ingest(batches) {
      if (batches.length === 0) return [];
      const outcomes = await inTransaction(pool, (client) => ingestGroup(client, batches));
      analyzer.noteStored(outcomes.reduce((n, o) => n + o.stored, 0));
      return outcomes;
    },

    async lookupCustomer(accountId, key, value) {
      const account = parseId(accountId);
      if (account === null) return null;
      const customer = await ownerOf(account, key, value);
      if (customer === null) return null;
      const { rows } = await pool.query<{ type: string; value: string }>(CUSTOMER_IDENTIFIERS_SQL, [customer]);
      const identifiers = identifiersRecord(
        rows.map((r) => ({ type: decodeText(r.type), value: decodeText(r.value) })),
      );
      return { customerId: customer, identifiers } satisfies CustomerView;
    },

    async customerEvents(accountId, customerId, options = {}) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return [];
      const { rows } = await pool.query<{
        type: string;
        action: string;
        identifiers: string;
        data: string;
        received_at: string;
      }>(CUSTOMER_EVENTS_SQL, [account, customer, options.sinceMs ?? 0, options.limit ?? null]);
      return rows.map((r) =>
        lazyStoredEvent(decodeText(r.type), decodeText(r.action), r.identifiers, r.data, Number(r.received_at)),
      );
    },

    async customerEventPage(accountId, customerId, page) {
      const query = eventPageQuery(accountId, customerId, page);
      if (query === null) return { events: [], next: null };
      const { account, customer, before, fetch } = query;
      const { rows } = await pool.query<EventRow>(CUSTOMER_EVENT_PAGE_SQL, [
        account,
        customer,
        before.receivedAt,
        before.id,
        fetch,
      ]);
      return eventPage(rows, page.limit, (r) =>
        lazyStoredEvent(decodeText(r.type), decodeText(r.action), r.identifiers, r.data, Number(r.received_at)),
      );
    },

    async customerEventCount(accountId, customerId, atMost) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return 0;
      const { rows } = await pool.query<{ n: string }>(CUSTOMER_EVENT_COUNT_SQL, [account, customer, atMost ?? null]);
      return Number(rows[0]?.n ?? 0);
    },

    async customerPage(accountId, after, limit) {
      const account = parseId(accountId);
      const from = after === null ? '0' : parseId(after);
      if (account === null || from === null) return [];
      const { rows } = await pool.query<{ id: string; type: string | null; value: string | null }>(CUSTOMER_PAGE_SQL, [
        account,
        from,
        limit,
      ]);
      const byCustomer = new Map<string, { type: string; value: string }[]>();
      for (const r of rows) {
        const ids = byCustomer.get(r.id) ?? [];
        if (r.type !== null && r.value !== null) ids.push({ type: decodeText(r.type), value: decodeText(r.value) });
        byCustomer.set(r.id, ids);
      }
      return [...byCustomer].map(([customerId, ids]) => ({ customerId, identifiers: identifiersRecord(ids) }));
    },

    async accountStats(accountId) {
      const account = parseId(accountId);
      if (account === null) return statsFromCounters(undefined);
      const { rows } = await pool.query<Record<string, string | null>>(
        `SELECT ${COUNTER_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM account_counters WHERE account_id = $1`,
        [account],
      );
      return statsFromCounters(rows[0]);
    },

    async listSegmentDefinitions(accountId) {
      const account = parseId(accountId);
      if (account === null) return [];
      const { rows } = await pool.query<{ name: string; definition: string; updated_at: string }>(
        'SELECT name, definition, updated_at FROM segment_definitions WHERE account_id = $1 ORDER BY name',
        [account],
      );
      return rows.map(
        (r): SegmentDefinitionRow => ({
          name: decodeText(r.name),
          definition: JSON.parse(r.definition),
          updatedAt: Number(r.updated_at),
        }),
      );
    },

    async putSegmentDefinition(accountId, name, definition, leaves) {
      const account = parseId(accountId);
      if (account === null) throw new Error(`unknown account ${accountId}`);
      await inTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO segment_definitions (account_id, name, definition, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (account_id, name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`,
          [account, encodeText(name), JSON.stringify(definition), now()],
        );
        if (leaves !== undefined) await linkLeaves(client, account, name, leaves);
      });
    },

    async deleteSegmentDefinition(accountId, name) {
      const account = parseId(accountId);
      if (account === null) return false;
      return inTransaction(pool, async (client) => {
        const result = await client.query('DELETE FROM segment_definitions WHERE account_id = $1 AND name = $2', [
          account,
          encodeText(name),
        ]);
        await unlinkLeaves(client, account, name);
        return (result.rowCount ?? 0) > 0;
      });
    },

    async linkSegmentLeaves(accountId, name, updatedAt, leaves) {
      const account = parseId(accountId);
      if (account === null) return false;
      return inTransaction(pool, async (client) => {
        // FOR UPDATE: a concurrent replace of this definition waits, so the check below stays true until COMMIT.
        const { rows } = await client.query<{ updated_at: string }>(
          'SELECT updated_at FROM segment_definitions WHERE account_id = $1 AND name = $2 FOR UPDATE',
          [account, encodeText(name)],
        );
        if (rows[0] === undefined || Number(rows[0].updated_at) !== updatedAt) return false;
        await linkLeaves(client, account, name, leaves);
        return true;
      });
    },

    async segmentState(accountId, customerId) {
      const account = parseId(accountId);
      const customer = parseId(customerId);
      if (account === null || customer === null) return [];
      return readState(pool, account, customer);
    },

    async segmentStateProgress(accountId) {
      const account = parseId(accountId);
      return account === null ? [] : readProgress(pool, account);
    },

    async buildSegmentState(maxEvents) {
      return inTransaction(pool, (client) => buildStep(client, maxEvents));
    },

    async accountByPublicKey(key) {
      const { rows } = await pool.query<AccountRow>(
        'SELECT id, public_key, private_key FROM accounts WHERE public_key = $1',
        [key],
      );
      return rows[0] ? toAccount(rows[0]) : null;
    },

    async accountByPrivateKey(key) {
      const { rows } = await pool.query<AccountRow>(
        'SELECT id, public_key, private_key FROM accounts WHERE private_key = $1',
        [key],
      );
      return rows[0] ? toAccount(rows[0]) : null;
    },

    async createAccount(keys) {
      const { rows } = await pool.query<AccountRow>(
        `INSERT INTO accounts (public_key, private_key, is_default, created_at) VALUES ($1, $2, false, $3)
         RETURNING id, public_key, private_key`,
        [keys.publicKey, keys.privateKey, now()],
      );
      return toAccount(rows[0] as AccountRow);
    },

    async ensureDefaultAccount(given, fresh) {
      return inTransaction(pool, async (client) => {
        // Nodes starting together: the first creates the account, the others then read it.
        await client.query('SELECT pg_advisory_xact_lock($1)', [DEFAULT_ACCOUNT_LOCK]);
        const { rows } = await client.query<AccountRow>(
          'SELECT id, public_key, private_key FROM accounts WHERE is_default',
        );
        const plan = planDefaultAccount(rows[0], given, fresh);
        if (plan.action === 'create') {
          const inserted = await client.query<AccountRow>(
            `INSERT INTO accounts (public_key, private_key, is_default, created_at) VALUES ($1, $2, true, $3)
             RETURNING id, public_key, private_key`,
            [plan.keys.publicKey, plan.keys.privateKey, now()],
          );
          return toAccount(inserted.rows[0] as AccountRow);
        }
        if (plan.action === 'update') {
          await client.query('UPDATE accounts SET public_key = $1, private_key = $2 WHERE id = $3', [
            plan.keys.publicKey,
            plan.keys.privateKey,
            plan.id,
          ]);
        }
        return { id: String(plan.id), ...plan.keys };
      });
    },

    async deleteCustomer(accountId, key, value) {
      const account = parseId(accountId);
      return account === null ? null : lifecycle.deleteCustomer(pool, account, key, value);
    },

    async exportEvents(accountId, page) {
      const account = parseId(accountId);
      return account === null ? [] : lifecycle.exportEvents(pool, account, page);
    },

    async lastEventId() {
      return lifecycle.lastEventId(pool);
    },

    async deleteEventsBefore(cutoffMs, limit) {
      return lifecycle.deleteEventsBefore(pool, cutoffMs, limit);
    },

    async oldestEventAt(accountId) {
      const account = parseId(accountId);
      return account === null ? null : lifecycle.oldestEventAt(pool, account);
    },

    async healthCheck() {
      await inTransaction(pool, async (client) => {
        const at = now();
        await client.query(
          'INSERT INTO health (id, checked_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
          [at],
        );
        const { rows } = await client.query<{ checked_at: string }>('SELECT checked_at FROM health WHERE id = 1');
        checkHealthRow(at, rows[0]?.checked_at);
      });
    },

    async diagnostics() {
      // Read on a pooled connection, like every commit: a session-level override would show here.
      const { rows } = await pool.query<Record<string, string>>(
        `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
                current_setting('full_page_writes') AS full_page_writes,
                current_setting('transaction_isolation') AS transaction_isolation`,
      );
      return { driver: 'postgres', settings: { ...rows[0] } };
    },

    async close() {
      // pg throws when a pool is ended twice; close() may be called from several shutdown paths.
      closing ??= analyzer.close().then(() => pool.end());
      await closing;
    },
  };
  return store;
}
