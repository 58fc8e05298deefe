import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';

/**
 * `?key=<identifier type>&value=<identifier value>`, as the admin customer routes (look-up and deletion) take it:
 * the pair, or null once a 400 has been sent. A repeated parameter arrives as an array and is refused.
 */
export function identifierQuery(request: FastifyRequest, reply: FastifyReply): { key: string; value: string } | null {
  const query = request.query as Record<string, unknown>;
  const key = query['key'];
  const value = query['value'];
  if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
    sendError(reply, 400, { message: 'give ?key=<identifier type>&value=<identifier value>, once each' });
    return null;
  }
  return { key, value };
}

/** The 404 of a customer that no identifier of this account names. */
export function noCustomer(reply: FastifyReply, key: string, value: string): FastifyReply {
  return sendError(reply, 404, { message: `no customer with ${key} = ${JSON.stringify(value)}` });
}
