import type { FastifyReply } from 'fastify';

/**
 * The one error builder. Every error answers with the ODP shape {title, status, timestamp, detail?}, timestamped by
 * the app's injected clock: clients that log `detail` (the official Python SDK logs the whole body) get the same
 * structure from every route, and from Fastify's own refusals too (see error-handler.ts).
 */

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

export type ErrorDetail = { message: string; errors?: string[] } | { invalids: { event: number; message: string }[] };

/**
 * Why a request was refused, in a word: what the debug log line and the rejection counter say. Never the message
 * itself, which may quote what the client sent (an email address looked up, a segment name).
 */
export type RejectReason =
  | 'bad_request'
  | 'malformed'
  | 'invalid'
  | 'too_deep'
  | 'unauthenticated'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'too_large'
  | 'media_type'
  | 'overloaded'
  | 'store_error'
  | 'timeout';

const REASON_BY_STATUS: Record<number, RejectReason> = {
  401: 'unauthenticated',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  408: 'timeout',
  413: 'too_large',
  414: 'too_large',
  415: 'media_type',
  431: 'too_large',
};

export function defaultReason(status: number): RejectReason {
  return REASON_BY_STATUS[status] ?? (status >= 500 ? 'store_error' : 'bad_request');
}

export function errorBody(status: number, detail: ErrorDetail | null, now: () => number) {
  const body = { title: titleOf(status), status, timestamp: new Date(now()).toISOString() };
  return detail === null ? body : { ...body, detail };
}

/** Answers `status` with the shared body; `reason` (default: from the status) goes to the debug log line. */
export function sendError(
  reply: FastifyReply,
  status: number,
  detail: ErrorDetail,
  reason: RejectReason = defaultReason(status),
): FastifyReply {
  reply.rejectReason = reason;
  return reply.code(status).send(errorBody(status, detail, reply.server.odpkit.now));
}

export function acceptedBody(now: () => number) {
  return { title: 'Accepted', status: 202, timestamp: new Date(now()).toISOString() };
}
