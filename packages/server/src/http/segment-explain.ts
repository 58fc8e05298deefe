import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseSegmentDefinition } from '../segments/definition.js';
import { historyNeeded } from '../segments/evaluate.js';
import { explain } from '../segments/explain.js';
import type { SegmentDefinition } from '../segments/types.js';
import type { CustomerView, StoredEvent } from '../store/store.js';
import { requireAccount } from './auth.js';
import { sendError } from './errors.js';

/**
 * Newest events an explanation examines at most: explaining costs the same whatever the customer's history. A
 * customer with more events in the definition's window is explained over the newest ones, and the answer says so
 * (`truncated: true`).
 */
export const EXPLAIN_MAX_EVENTS = 10_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Why a customer is or is not in a segment, for the console:
 * - GET /admin/v1/segments/:name/explain?key=&value= explains a saved segment;
 * - POST /admin/v1/segments/preview {segment, customer: {key, value}} explains a definition before it is saved.
 */
export async function segmentExplainRoutes(app: FastifyInstance): Promise<void> {
  const { store, segments, now } = app.odpkit;
  app.addHook('onRequest', requireAccount('private'));

  const answer = async (reply: FastifyReply, accountId: string, def: SegmentDefinition, customer: CustomerView) => {
    const at = now();
    const need = historyNeeded([def.condition]);
    let events: StoredEvent[] = [];
    if (need.events) {
      events = await store.customerEvents(accountId, customer.customerId, {
        ...(need.windowMs === null ? {} : { sinceMs: at - need.windowMs }),
        limit: EXPLAIN_MAX_EVENTS + 1,
      });
    }
    const truncated = events.length > EXPLAIN_MAX_EVENTS;
    if (truncated) events = events.slice(0, EXPLAIN_MAX_EVENTS);
    const explained = explain(def.condition, { identifiers: customer.identifiers, events, now: at });
    return reply.send({
      segment: def.name,
      customer_id: customer.customerId,
      qualified: explained.result,
      deciding: explained.deciding,
      conditions: explained.conditions,
      events_examined: events.length,
      truncated,
    });
  };

  const findCustomer = async (reply: FastifyReply, accountId: string, key: unknown, value: unknown) => {
    if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
      await sendError(reply, 400, {
        message: 'give the customer as key=<identifier type> and value=<identifier value>',
      });
      return null;
    }
    const customer = await store.lookupCustomer(accountId, key, value);
    if (customer === null)
      await sendError(reply, 404, { message: `no customer with ${key} = ${JSON.stringify(value)}` });
    return customer;
  };

  app.get<{ Params: { name: string } }>('/admin/v1/segments/:name/explain', async (request, reply) => {
    const accountId = request.account!.id;
    const query = request.query as Record<string, unknown>;
    const customer = await findCustomer(reply, accountId, query['key'], query['value']);
    if (customer === null) return reply;
    const row = (await segments.list(accountId)).find((s) => s.name === request.params.name);
    if (row === undefined)
      return sendError(reply, 404, { message: `no segment named ${JSON.stringify(request.params.name)}` });
    const parsed = parseSegmentDefinition({ name: row.name, condition: row.condition });
    if (!parsed.ok) return sendError(reply, 500, { message: 'the stored definition no longer parses' });
    return answer(reply, accountId, parsed.value, customer);
  });

  app.post('/admin/v1/segments/preview', async (request, reply) => {
    const body = request.body;
    if (!isObject(body) || !isObject(body['segment']) || !isObject(body['customer'])) {
      return sendError(reply, 400, {
        message: 'the body must be {"segment": {name?, description?, condition}, "customer": {"key", "value"}}',
      });
    }
    const segment = body['segment'];
    // A draft may have no name yet; only its condition is evaluated.
    const parsed = parseSegmentDefinition({ ...segment, name: segment['name'] ?? 'preview' });
    if (!parsed.ok)
      return sendError(reply, 400, { message: 'the segment definition is invalid', errors: parsed.errors });
    const accountId = request.account!.id;
    const customer = await findCustomer(reply, accountId, body['customer']['key'], body['customer']['value']);
    if (customer === null) return reply;
    return answer(reply, accountId, parsed.value, customer);
  });
}
