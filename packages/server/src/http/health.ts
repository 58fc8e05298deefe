import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

/**
 * GET /health answers from the store's last write (see write-health.ts): a full disk or a read-only file shows here
 * and not only as failed ingestion. Open without a key: load balancers and orchestrators probe it, and it reveals
 * nothing; its cost is bounded to one store write a second however often it is called.
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async (_request, reply) => {
    if (await app.odpkit.writeHealth.check()) return { status: 'ok' };
    reply.header('retry-after', String(app.odpkit.limits.retryAfterSeconds));
    return sendError(reply, 503, { message: 'the store cannot write' }, 'store_error');
  });
}
