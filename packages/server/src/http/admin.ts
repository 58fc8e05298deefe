import type { FastifyInstance } from 'fastify';
import { requireAccount } from './auth.js';
import { sendError } from './errors.js';

const RECENT_EVENTS = 20;

/** The admin customer API (private key). Every query is scoped to the key's account: another account's data is a 404. */
export async function adminCustomerRoutes(app: FastifyInstance): Promise<void> {
  const { store, segments } = app.odpkit;
  app.addHook('onRequest', requireAccount('private'));

  app.get('/admin/v1/customers', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const key = query['key'];
    const value = query['value'];
    if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
      return sendError(reply, 400, { message: 'give ?key=<identifier type>&value=<identifier value>, once each' });
    }
    const accountId = request.account!.id;
    const customer = await store.lookupCustomer(accountId, key, value);
    if (customer === null)
      return sendError(reply, 404, { message: `no customer with ${key} = ${JSON.stringify(value)}` });
    const [eventCount, recent, memberOf] = await Promise.all([
      store.customerEventCount(accountId, customer.customerId),
      store.customerEvents(accountId, customer.customerId, { limit: RECENT_EVENTS }),
      segments.membership(accountId, customer),
    ]);
    return {
      customer_id: customer.customerId,
      identifiers: customer.identifiers,
      event_count: eventCount,
      recent_events: recent.map((e) => ({
        type: e.type,
        action: e.action,
        identifiers: e.identifiers,
        data: e.data,
        received_at: new Date(e.receivedAt).toISOString(),
      })),
      // The account's segments this customer qualifies for now.
      segments: memberOf,
    };
  });

  app.get('/admin/v1/stats', async (request) => {
    const s = await store.accountStats(request.account!.id);
    return {
      customers: s.customers,
      events: s.events,
      unattributed: s.unattributed,
      duplicates: s.duplicates,
      merges: s.merges,
      refused_merges: s.refusedMerges,
    };
  });
}
