import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { BodyError } from './body.js';
import { answeredEarly } from './early-answer.js';
import { errorBody, type RejectReason, sendError, titleOf } from './errors.js';

/**
 * The one error path. Fastify's own refusals (bad URL, over-long path parameter, body too large, bad content type or
 * length, unreadable JSON) and anything a route throws are answered here in the shared shape, and never echo what the
 * client sent: Fastify's messages quote the URL or the content type, so only the error code is read from them.
 */

/** Messages for Fastify's own client errors, by code; any other 4xx gets its status title. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; message: string; reason: RejectReason }> = {
  FST_ERR_BAD_URL: { status: 400, message: 'the URL is not valid: bad percent-encoding', reason: 'bad_request' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    message: 'this route reads application/json bodies',
    reason: 'media_type',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    message: 'the content-length does not match the body',
    reason: 'malformed',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, message: 'the body is empty', reason: 'malformed' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, message: 'the body is not valid JSON', reason: 'malformed' },
  FST_ERR_CTP_INVALID_CONTENT_TYPE: { status: 415, message: 'the content-type is not valid', reason: 'media_type' },
};

/** Router refusals (before any route matched), given to Fastify as its `frameworkErrors` option. */
export function frameworkErrors(maxParamLength: number) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      sendError(reply, 414, { message: `a path segment is longer than ${maxParamLength} characters` }, 'too_large');
      return;
    }
    const known = FASTIFY_CLIENT_ERRORS[error.code];
    sendError(reply, known?.status ?? 400, { message: known?.message ?? 'the request is not valid' }, 'bad_request');
  };
}

/**
 * Node's own refusals, written on the socket before any request object exists (a header or request timeout,
 * oversized headers, unparsable HTTP), given to Fastify as its `clientErrorHandler` option. The connection is closed.
 */
export function clientErrorHandler(now: () => number) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    // The request was already answered (before its body was read): one answer per request, never a second 408.
    if (answeredEarly.has(socket)) {
      socket.destroy();
      return;
    }
    const [status, message] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not received in time']
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'the request headers are too large']
          : [400, 'the request is not valid HTTP'];
    const body = JSON.stringify(errorBody(status, { message }, now));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${titleOf(status)}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/** Methods that define a route's answer; OPTIONS (CORS preflight) is listed in Allow but never makes a path exist. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Registers the error handler, the not-found handler (404, or 405 with Allow for a known path) on the root app. */
export function registerErrorHandling(app: FastifyInstance): void {
  // Which methods each registered path answers, for 405 + Allow: Fastify's router only says "no route".
  const methods = FindMyWay({ defaultRoute: () => {} });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat().map((m) => m.toUpperCase() as HTTPMethod)) {
      if (!methods.hasRoute(method, route.url)) methods.on(method, route.url, () => {});
    }
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof BodyError) {
      const reason = error.statusCode === 413 ? 'too_large' : error.statusCode === 415 ? 'media_type' : 'malformed';
      return sendError(reply, error.statusCode, { message: error.message }, reason);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit;
      app.odpkit.metrics.rejected.inc({ reason: 'too_large' });
      return sendError(reply, 413, { message: `the body exceeds ${limit} bytes` }, 'too_large');
    }
    const known = FASTIFY_CLIENT_ERRORS[error.code];
    if (known !== undefined) return sendError(reply, known.status, { message: known.message }, known.reason);
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(reply, status, { message: `the request was refused (${titleOf(status)})` });
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, { message: 'internal error' }, 'store_error');
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((m) => methods.find(m, path) !== null);
    if (allowed.length === 0) return sendError(reply, 404, { message: 'no route at this path' });
    if (methods.find('OPTIONS', path) !== null) allowed.push('OPTIONS' as never);
    reply.header('allow', allowed.join(', '));
    return sendError(reply, 405, { message: `this route answers ${allowed.join(', ')}` });
  });
}
