import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCompressed } from './body.js';
import { sendError } from './errors.js';

/**
 * A server-wide budget for the bytes that request bodies in flight may hold. Each request with a body reserves, before
 * it is read, what it may come to hold: its declared content-length (or, chunked, the route's body limit), plus the
 * decompressed size cap when it is compressed. Beyond the budget the request is answered 503 + Retry-After (a load
 * condition every official SDK retries; a 429 would make Python and Swift drop the events) and its body is not read.
 * The reservation is returned when the response is done or the connection is gone.
 */
export function registerBodyBudget(app: FastifyInstance, maxBytes: number): void {
  let held = 0;

  app.addHook('preParsing', async (request: FastifyRequest, reply: FastifyReply) => {
    const length = request.headers['content-length'];
    const chunked = request.headers['transfer-encoding'] !== undefined;
    if (!chunked && (length === undefined || length === '0')) return;
    const bodyLimit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit;
    const declared = Number(length);
    const wire =
      !chunked && Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, bodyLimit) : bodyLimit;
    const reservation = wire + (isCompressed(request.headers['content-encoding']) ? app.odpkit.limits.maxBodyBytes : 0);
    if (held > 0 && held + reservation > maxBytes) {
      app.odpkit.metrics.rejected.inc({ reason: 'overloaded' });
      reply.header('retry-after', String(app.odpkit.limits.retryAfterSeconds));
      return sendError(
        reply,
        503,
        { message: 'the server is busy reading other large bodies; retry later' },
        'overloaded',
      );
    }
    held += reservation;
    app.odpkit.metrics.inflightBodyBytes.set(held);
    reply.raw.once('close', () => {
      held -= reservation;
      app.odpkit.metrics.inflightBodyBytes.set(held);
    });
  });
}
