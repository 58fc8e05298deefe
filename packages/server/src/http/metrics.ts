import type { FastifyInstance } from 'fastify';
import { requireAccount } from './auth.js';
import { sendError } from './errors.js';

/**
 * GET /metrics, Prometheus text. The counters are server-wide (every account's traffic), so the key is a private
 * key, and when the server has an operator account (the default one), only that account's.
 */
export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireAccount('private'));
  app.get('/metrics', async (request, reply) => {
    const { operatorAccountId, metrics } = app.odpkit;
    if (operatorAccountId !== null && request.account!.id !== operatorAccountId) {
      return sendError(reply, 401, { message: 'server metrics need the operator (default) account private key' });
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
