import type { FastifyReply } from 'fastify';

/**
 * Every error answers with the ODP shape {title, status, timestamp, detail}: clients that log `detail` (the official
 * Python SDK logs the whole body) get the same structure from every route.
 */

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export type ErrorDetail = { message: string } | { invalids: { event: number; message: string }[] };

export function errorBody(status: number, detail: ErrorDetail, now: () => number = Date.now) {
  return { title: TITLES[status] ?? 'Error', status, timestamp: new Date(now()).toISOString(), detail };
}

export function sendError(reply: FastifyReply, status: number, detail: ErrorDetail): FastifyReply {
  return reply.code(status).send(errorBody(status, detail, reply.server.odpkit.now));
}

export function acceptedBody(now: () => number) {
  return { title: 'Accepted', status: 202, timestamp: new Date(now()).toISOString() };
}
