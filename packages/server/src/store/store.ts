/**
 * The one storage interface, implemented on SQLite (./sqlite) and PostgreSQL (./postgres); both pass the same
 * contract suite (test/store-contract.ts), and what they share lives in ./shared. Everything is async so a networked database can implement it unchanged.
 */

import type { LeafSpec } from '../segments/state/leaf.js';
import type { SegmentStateSource } from '../segments/state/source.js';

export interface Account {
  id: string;
  publicKey: string;
  privateKey: string;
}

export type DataValue = string | number | boolean | null;

/** One usable identifier after normalisation (see ingest/identifiers.ts). */
export interface Identity {
  type: string;
  value: string;
}

/** An event validated and prepared outside the transaction, so the commit only runs prepared statements. */
export interface PreparedEvent {
  type: string;
  action: string;
  /** The identifiers as sent, serialised once at validation time. */
  identifiersJson: string;
  /** The data as sent, serialised once at validation time. */
  dataJson: string;
  /** Normalised identifiers that survived the deny-list; empty means the event is stored unattributed. */
  identities: Identity[];
  /** How many identifiers the deny-list or the length cap removed. */
  ignoredIdentifiers: number;
  /** data.idempotence_id, or null: such an event gets no dedup entry (its row id is its server id). */
  idempotenceId: string | null;
}

export interface IngestBatch {
  accountId: string;
  receivedAt: number;
  events: PreparedEvent[];
}

/** What one batch did; the HTTP layer turns it into metrics. */
export interface IngestOutcome {
  stored: number;
  duplicates: number;
  unattributed: number;
  customersCreated: number;
  merges: number;
  refusedMerges: number;
  vuidMoves: number;
  cappedIdentifiers: number;
  ignoredIdentifiers: number;
}

/** An outcome with nothing counted yet; each store fills one per batch. */
export function emptyOutcome(): IngestOutcome {
  return {
    stored: 0,
    duplicates: 0,
    unattributed: 0,
    customersCreated: 0,
    merges: 0,
    refusedMerges: 0,
    vuidMoves: 0,
    cappedIdentifiers: 0,
    ignoredIdentifiers: 0,
  };
}

/** Adds one stored event, and what stitching it did, to its batch's outcome. */
export function countStored(
  outcome: IngestOutcome,
  event: Pick<PreparedEvent, 'ignoredIdentifiers'>,
  stitched: {
    customer: unknown;
    customersCreated: number;
    merges: number;
    refusedMerges: number;
    vuidMoves: number;
    capped: number;
  },
): void {
  outcome.stored++;
  outcome.ignoredIdentifiers += event.ignoredIdentifiers;
  if (stitched.customer === null) outcome.unattributed++;
  outcome.customersCreated += stitched.customersCreated;
  outcome.merges += stitched.merges;
  outcome.refusedMerges += stitched.refusedMerges;
  outcome.vuidMoves += stitched.vuidMoves;
  outcome.cappedIdentifiers += stitched.capped;
}

export interface StoredEvent {
  type: string;
  action: string;
  identifiers: Record<string, string>;
  data: Record<string, DataValue>;
  /** ms since epoch, from the server's (injectable) clock. */
  receivedAt: number;
}

/** Where a page of a customer's events ends: the last event's receivedAt and id (newest-first order). */
export interface EventCursor {
  receivedAt: number;
  id: number;
}

export interface EventPage {
  events: StoredEvent[];
  /** null on the last page. */
  next: EventCursor | null;
}

export interface CustomerView {
  customerId: string;
  identifiers: Record<string, string[]>;
}

export interface SegmentDefinitionRow {
  name: string;
  definition: unknown;
  updatedAt: number;
}

export interface AccountStats {
  customers: number;
  events: number;
  unattributed: number;
  duplicates: number;
  merges: number;
  refusedMerges: number;
}

export interface StoreDiagnostics {
  driver: 'sqlite' | 'postgres';
  /**
   * Setting → value as the database reports it. SQLite: journal_mode ('wal'), synchronous (2 = FULL: the WAL is
   * fsynced at every commit), wal_autocheckpoint, busy_timeout. PostgreSQL: fsync and synchronous_commit ('on'),
   * full_page_writes, transaction_isolation.
   */
  settings: Record<string, string | number>;
}

/** What deleting one customer removed: counts only, never the personal values (they are gone). */
export interface CustomerDeletion {
  customerId: string;
  events: number;
  identifiers: number;
  /** Earlier customers merged into this one, whose records went with it. */
  mergedCustomers: number;
}

/** One stored event as the export streams it; `id` orders events and is the export's resume point. */
export interface ExportedEvent {
  id: number;
  type: string;
  action: string;
  /** The identifiers and data as received, JSON text. */
  identifiersJson: string;
  dataJson: string;
  receivedAt: number;
}

/**
 * A page of an account's events in id order: ids in (afterId, throughId], received in [sinceMs, untilMs). The id
 * range bounds what one page may examine whatever the planner does, even for an account with few events among many.
 */
export interface ExportPage {
  afterId: number;
  throughId: number;
  sinceMs: number;
  untilMs: number;
  limit: number;
}

export interface Store extends SegmentStateSource {
  /** Writes every batch in ONE transaction (group commit); resolves only after COMMIT. One outcome per batch. */
  ingest(batches: IngestBatch[]): Promise<IngestOutcome[]>;

  lookupCustomer(accountId: string, key: string, value: string): Promise<CustomerView | null>;
  /** All events of the stitched customer, newest first. */
  customerEvents(
    accountId: string,
    customerId: string,
    options?: { sinceMs?: number; limit?: number },
  ): Promise<StoredEvent[]>;
  /** The customer's events, counted up to `atMost` when given (the answer is then min(count, atMost)). */
  customerEventCount(accountId: string, customerId: string, atMost?: number): Promise<number>;
  /** `limit` events of the customer, newest first, strictly older than `after` (null: from the newest). */
  customerEventPage(
    accountId: string,
    customerId: string,
    page: { limit: number; after: EventCursor | null },
  ): Promise<EventPage>;
  /**
   * Up to `limit` of the account's customers (not merged away) with an id after `after` (null: from the first), in id
   * order: a cursor for walking all customers a page at a time (the console's member counts).
   */
  customerPage(accountId: string, after: string | null, limit: number): Promise<CustomerView[]>;
  accountStats(accountId: string): Promise<AccountStats>;

  listSegmentDefinitions(accountId: string): Promise<SegmentDefinitionRow[]>;
  /** With `leaves`, also makes the segment use exactly those state leaves, in the same transaction. */
  putSegmentDefinition(accountId: string, name: string, definition: unknown, leaves?: LeafSpec[]): Promise<void>;
  deleteSegmentDefinition(accountId: string, name: string): Promise<boolean>;

  accountByPublicKey(key: string): Promise<Account | null>;
  accountByPrivateKey(key: string): Promise<Account | null>;
  createAccount(keys: { publicKey: string; privateKey: string }): Promise<Account>;
  /**
   * The default account: created on first start with the given keys, or `fresh` ones; on a later start, keys that are
   * given replace its keys and missing ones keep the stored value.
   */
  ensureDefaultAccount(
    given: { publicKey?: string; privateKey?: string },
    fresh: { publicKey: string; privateKey: string },
  ): Promise<Account>;

  /**
   * Deletes the customer owning (key, value) with its events, identifiers and the customers merged into it, in one
   * transaction; null when no customer owns it. Dedup entries stay, so a retried old event stays a duplicate.
   */
  deleteCustomer(accountId: string, key: string, value: string): Promise<CustomerDeletion | null>;
  /** One page of the account's events in id order (keyset pagination: memory does not grow with the account). */
  exportEvents(accountId: string, page: ExportPage): Promise<ExportedEvent[]>;
  /** The largest event id stored (any account), 0 when none: where an export started now ends. */
  lastEventId(): Promise<number>;
  /** Deletes at most `limit` events (of any account) received before `cutoffMs`, in one short transaction. */
  deleteEventsBefore(cutoffMs: number, limit: number): Promise<number>;
  /** When the account's oldest stored event was received (ms), or null without events. */
  oldestEventAt(accountId: string): Promise<number | null>;

  /** Exercises the write path (a write and a read in a transaction); throws when the store cannot write. */
  healthCheck(): Promise<void>;
  /** The settings an acknowledgement's durability rests on, read back from the connection that commits. */
  diagnostics(): Promise<StoreDiagnostics>;
  close(): Promise<void>;
}
