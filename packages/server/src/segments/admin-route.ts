// Admin API for segment definitions (private key): list, read, create/replace, delete, and
// apply a whole segment file. Errors use the server's problem shape
// {title, status, timestamp, detail: {message}} like every other route; validation failures
// also list every problem in detail.errors.
// Register without fastify-plugin so the auth hook applies only to these routes.

import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseSegmentDefinition } from './definition.js';
import type { SegmentService } from './service.js';

export interface AdminSegmentsRouteOptions {
  segments: SegmentService;
  /** Resolves the private (admin) key in the request to its account, or null. */
  authenticate: (request: FastifyRequest) => Promise<{ id: string } | null>;
  /** Max body in bytes; default 1 MiB (a segment file of a thousand definitions fits). */
  bodyLimit?: number;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
};

function problem(reply: FastifyReply, status: number, message: string, errors?: string[]): FastifyReply {
  const detail = errors === undefined ? { message } : { message, errors };
  return reply
    .code(status)
    .send({ title: TITLES[status] ?? 'Error', status, timestamp: new Date().toISOString(), detail });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const adminSegmentsRoute: FastifyPluginAsync<AdminSegmentsRouteOptions> = async (app, options) => {
  const { segments } = options;
  const accounts = new WeakMap<FastifyRequest, string>();
  const accountOf = (request: FastifyRequest): string => accounts.get(request)!;

  app.addHook('onRequest', async (request, reply) => {
    const account = await options.authenticate(request);
    if (account === null) return problem(reply, 401, 'missing or unknown admin key');
    accounts.set(request, account.id);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return problem(reply, status, error.message);
    request.log.error({ err: error }, 'admin segments request failed');
    return problem(reply, 500, 'the request could not be processed');
  });

  const bodyLimit = options.bodyLimit ?? 1024 * 1024;

  app.get('/admin/v1/segments', async (request) => ({ segments: await segments.list(accountOf(request)) }));

  app.get<{ Params: { name: string } }>('/admin/v1/segments/:name', async (request, reply) => {
    const found = (await segments.list(accountOf(request))).find((s) => s.name === request.params.name);
    if (found === undefined) return problem(reply, 404, `no segment named ${JSON.stringify(request.params.name)}`);
    return found;
  });

  app.put<{ Params: { name: string } }>('/admin/v1/segments/:name', { bodyLimit }, async (request, reply) => {
    const { name } = request.params;
    const body = request.body;
    // The name comes from the URL; a body may repeat it (a file entry pasted as is) but not contradict it.
    if (isObject(body) && body['name'] !== undefined && body['name'] !== name) {
      return problem(reply, 400, 'the segment definition is invalid', [
        `name: ${JSON.stringify(body['name'])} does not match the name in the URL ${JSON.stringify(name)}`,
      ]);
    }
    const parsed = parseSegmentDefinition(isObject(body) ? { ...body, name } : body);
    if (!parsed.ok) return problem(reply, 400, 'the segment definition is invalid', parsed.errors);
    const { created } = await segments.put(accountOf(request), parsed.value);
    const listed = (await segments.list(accountOf(request))).find((s) => s.name === name);
    return reply.code(created ? 201 : 200).send(listed);
  });

  app.delete<{ Params: { name: string } }>('/admin/v1/segments/:name', async (request, reply) => {
    const deleted = await segments.delete(accountOf(request), request.params.name);
    if (!deleted) return problem(reply, 404, `no segment named ${JSON.stringify(request.params.name)}`);
    return reply.code(204).send();
  });

  const apply = async (
    request: FastifyRequest<{ Querystring: { replace?: string } }>,
    reply: FastifyReply,
  ): Promise<FastifyReply> => {
    const replace = request.query.replace === 'true' || request.query.replace === '1';
    const result = await segments.applyFile(accountOf(request), request.body, { replace });
    if (!result.ok) return problem(reply, 400, 'the segment file is invalid; nothing was applied', result.errors);
    const { ok: _ok, ...summary } = result;
    return reply.code(200).send(summary);
  };
  // "segments:apply" in the Google API style, and "segments/apply" for clients that dislike colons
  // in paths ("::" escapes the colon in Fastify's router).
  app.post('/admin/v1/segments::apply', { bodyLimit }, apply);
  app.post('/admin/v1/segments/apply', { bodyLimit }, apply);
};
