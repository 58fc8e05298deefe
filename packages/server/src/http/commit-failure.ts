import type { FastifyReply, FastifyRequest } from 'fastify';
import { OverloadedError } from '../ingest/group-commit.js';
import type { OdpkitContext } from './context.js';
import { sendError } from './errors.js';

/**
 * Answers a batch that could not be committed. Overload and storage trouble are both transient: 503 + Retry-After
 * makes every official SDK (and `odpkit import`) retry, and the idempotence ids make the retry safe. Never 429: the
 * Python and Swift SDKs drop 4xx without retrying. A failed commit also makes /health unhealthy until a write succeeds.
 */
export function sendCommitFailure(
  context: Pick<OdpkitContext, 'limits' | 'metrics' | 'writeHealth'>,
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
  logMessage: string,
): FastifyReply {
  const overloaded = err instanceof OverloadedError;
  const reason = overloaded ? 'overloaded' : 'store_error';
  context.metrics.rejected.inc({ reason });
  if (!overloaded) context.writeHealth.recordFailure(err, request.log, logMessage);
  reply.header('retry-after', String(context.limits.retryAfterSeconds));
  const message = overloaded ? 'the server is overloaded; retry later' : 'the event store is unavailable; retry later';
  return sendError(reply, 503, { message }, reason);
}
