import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { requireAccount } from '../http/auth.js';
import { sendCommitFailure } from '../http/commit-failure.js';
import { sendError } from '../http/errors.js';
import { identifierQuery, noCustomer } from '../http/identifier-query.js';
import type { ExportPage } from '../store/store.js';
import { exportChunks, parseTime, WHOLE_HISTORY } from './export.js';
import { prepareImport } from './import.js';

/**
 * The data-lifecycle admin API (private key; everything scoped to the key's account): delete a customer, stream an
 * export of the account's events, import events with their original receive times.
 */
export async function lifecycleRoutes(app: FastifyInstance): Promise<void> {
  const { store, committer, limits, now } = app.odpkit;
  app.addHook('onRequest', requireAccount('private'));

  app.delete('/admin/v1/customers', async (request, reply) => {
    const pair = identifierQuery(request, reply);
    if (pair === null) return reply;
    const { key, value } = pair;
    const accountId = request.account!.id;
    const deleted = await store.deleteCustomer(accountId, key, value);
    if (deleted === null) return noCustomer(reply, key, value);
    const counts = {
      events: deleted.events,
      identifiers: deleted.identifiers,
      merged_customers: deleted.mergedCustomers,
    };
    // The customer id and counts only: the identifier that found it is personal data, and it is gone.
    request.log.info({ account_id: accountId, customer_id: deleted.customerId, ...counts }, 'customer deleted');
    return { customer_id: deleted.customerId, deleted: counts };
  });

  app.get('/admin/v1/events/export', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const range = { ...WHOLE_HISTORY };
    for (const field of ['since', 'until'] as const) {
      const text = query[field];
      if (text === undefined) continue;
      const ms = typeof text === 'string' ? parseTime(text) : null;
      if (ms === null) {
        return sendError(reply, 400, { message: `?${field}= must be an ISO 8601 date-time or ms since the epoch` });
      }
      if (field === 'since') range.sinceMs = ms;
      else range.untilMs = ms;
    }
    const accountId = request.account!.id;
    const source = {
      lastEventId: () => store.lastEventId(),
      read: (page: ExportPage) => store.exportEvents(accountId, page),
    };
    const chunks = exportChunks(source, range);
    // A stream with backpressure: the next page is read only when the client has taken the previous one.
    return reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(Readable.from(chunks, { objectMode: false }));
  });

  app.post('/admin/v1/events/import', async (request, reply) => {
    const body = request.body;
    if (!Array.isArray(body)) {
      return sendError(reply, 400, { message: 'the body must be a JSON array of events' });
    }
    if (body.length > limits.maxEvents) {
      return sendError(reply, 413, {
        message: `a batch holds at most ${limits.maxEvents} events; this one holds ${body.length}`,
      });
    }
    const { batches, rejected } = prepareImport(request.account!.id, body, now());
    let stored = 0;
    let duplicates = 0;
    try {
      // Submitted together, so they share one group commit; the committer keeps their order.
      const outcomes = await Promise.all(batches.map((b) => committer.submit(b)));
      for (const o of outcomes) {
        stored += o.stored;
        duplicates += o.duplicates;
      }
    } catch (err) {
      return sendCommitFailure(app.odpkit, request, reply, err, 'import commit failed');
    }
    return { stored, duplicates, rejected };
  });
}
