import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

/**
 * GET /health runs a real write and read through the store, so a full disk or a read-only file shows here instead of
 * as failed ingestion. Open without a key: load balancers and orchestrators probe it, and it reveals nothing.
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async (request, reply) => {
    try {
      await app.odpkit.store.healthCheck();
      return { status: 'ok' };
    } catch (err) {
      request.log.error({ err }, 'health check failed');
      reply.header('retry-after', String(app.odpkit.limits.retryAfterSeconds));
      return sendError(reply, 503, { message: 'the store cannot write' });
    }
  });
}
