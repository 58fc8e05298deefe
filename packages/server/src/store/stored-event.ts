import { parseId } from './common/ids.js';
import type { DataValue, EventCursor, EventPage, StoredEvent } from './store.js';

/**
 * A stored event whose JSON columns are parsed on first read, once. Segment evaluation filters most of a customer's
 * history by type and action and never reads identifiers, yet parsing both columns of every row was the largest cost
 * of a segment query (bench/segments profile). The getters are own enumerable properties, so spreading the event or
 * JSON.stringify still sees identifiers and data.
 */
export function lazyStoredEvent(
  type: string,
  action: string,
  identifiersJson: string,
  dataJson: string,
  receivedAt: number,
): StoredEvent {
  let identifiers: Record<string, string> | undefined;
  let data: Record<string, DataValue> | undefined;
  return {
    type,
    action,
    get identifiers() {
      identifiers ??= JSON.parse(identifiersJson) as Record<string, string>;
      return identifiers;
    },
    get data() {
      data ??= JSON.parse(dataJson) as Record<string, DataValue>;
      return data;
    },
    receivedAt,
  };
}

/** The bound parameters of one page query, or null when an id cannot name a row (the page is then empty). */
export interface EventPageQuery {
  account: string;
  customer: string;
  /** Events strictly before this (receivedAt, id), newest first; the first page starts past every event. */
  before: EventCursor;
  /** One row more than the page holds: the extra row only says whether a next page exists. */
  fetch: number;
}

export function eventPageQuery(
  accountId: string,
  customerId: string,
  page: { after?: EventCursor | null; limit: number },
): EventPageQuery | null {
  const account = parseId(accountId);
  const customer = parseId(customerId);
  if (account === null || customer === null) return null;
  const before = page.after ?? { receivedAt: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
  return { account, customer, before, fetch: page.limit + 1 };
}

/** A page from rows fetched with one more than `limit` (that extra row only says whether a next page exists). */
export function eventPage<R extends { id: number | string; received_at: number | string }>(
  rows: R[],
  limit: number,
  toEvent: (row: R) => StoredEvent,
): EventPage {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    events: shown.map(toEvent),
    next:
      rows.length > limit && last !== undefined ? { receivedAt: Number(last.received_at), id: Number(last.id) } : null,
  };
}
