import type { FastifyInstance } from 'fastify';
import type { EventCursor } from '../store/store.js';
import { requireAccount } from './auth.js';
import { sendError } from './errors.js';
import { identifierQuery, noCustomer } from './identifier-query.js';

/** Events per page of the customer view: `?limit=` defaults to 50 and may be at most 500. */
const DEFAULT_EVENTS = 50;
const MAX_EVENTS = 500;
/** The customer view counts events up to this many, so a customer with millions of events costs no more to show. */
export const EVENT_COUNT_CAP = 10_000;

/** `?limit=` and `?cursor=` of the customer view, or the message of a 400. The cursor is `<receivedAt>_<id>`. */
function eventPaging(query: Record<string, unknown>): { limit: number; after: EventCursor | null } | string {
  const limitText = query['limit'] ?? String(DEFAULT_EVENTS);
  const limit = typeof limitText === 'string' && /^[0-9]{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_EVENTS)) return `limit must be a whole number from 1 to ${MAX_EVENTS}`;
  const cursor = query['cursor'];
  if (cursor === undefined) return { limit, after: null };
  const m = typeof cursor === 'string' ? /^([0-9]{1,15})_([1-9][0-9]{0,15})$/.exec(cursor) : null;
  if (m === null) return 'cursor must be the next_cursor of a previous page';
  return { limit, after: { receivedAt: Number(m[1]), id: Number(m[2]) } };
}

/** The admin customer API (private key). Every query is scoped to the key's account: another account's data is a 404. */
export async function adminCustomerRoutes(app: FastifyInstance): Promise<void> {
  const { store, segments } = app.odpkit;
  app.addHook('onRequest', requireAccount('private'));

  app.get('/admin/v1/customers', async (request, reply) => {
    const pair = identifierQuery(request, reply);
    if (pair === null) return reply;
    const { key, value } = pair;
    const paging = eventPaging(request.query as Record<string, unknown>);
    if (typeof paging === 'string') return sendError(reply, 400, { message: paging });
    const accountId = request.account!.id;
    const customer = await store.lookupCustomer(accountId, key, value);
    if (customer === null) return noCustomer(reply, key, value);
    const [eventCount, page, memberOf] = await Promise.all([
      // Counted up to one past the cap: the view costs the same whatever the customer's history.
      store.customerEventCount(accountId, customer.customerId, EVENT_COUNT_CAP + 1),
      store.customerEventPage(accountId, customer.customerId, paging),
      segments.membership(accountId, customer),
    ]);
    const recent = page.events;
    return {
      customer_id: customer.customerId,
      identifiers: customer.identifiers,
      event_count: Math.min(eventCount, EVENT_COUNT_CAP),
      // true when the customer has more events than event_count says (the count stops at EVENT_COUNT_CAP).
      event_count_capped: eventCount > EVENT_COUNT_CAP,
      recent_events: recent.map((e) => ({
        type: e.type,
        action: e.action,
        identifiers: e.identifiers,
        data: e.data,
        received_at: new Date(e.receivedAt).toISOString(),
      })),
      // The account's segments this customer qualifies for now.
      segments: memberOf,
      // Pass as ?cursor= for the next (older) page of recent_events; null on the last page.
      next_cursor: page.next === null ? null : `${page.next.receivedAt}_${page.next.id}`,
    };
  });

  app.get('/admin/v1/stats', async (request) => {
    const [s, oldest] = await Promise.all([
      store.accountStats(request.account!.id),
      store.oldestEventAt(request.account!.id),
    ]);
    return {
      customers: s.customers,
      events: s.events,
      unattributed: s.unattributed,
      duplicates: s.duplicates,
      merges: s.merges,
      refused_merges: s.refusedMerges,
      // What retention has kept: the receive time of the oldest stored event (null when there is none).
      oldest_event_at: oldest === null ? null : new Date(oldest).toISOString(),
    };
  });
}
