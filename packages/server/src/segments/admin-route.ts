// Admin API for segment definitions (private key): list, read, create/replace, delete, and apply a whole segment
// file. The key is checked by the shared requireAccount hook; errors use the shared builder, and validation failures
// also list every problem in detail.errors. JSON bodies are read by the app's parser (depth-checked, size-capped).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireAccount } from '../http/auth.js';
import { sendError } from '../http/errors.js';
import { parseSegmentDefinition } from './definition.js';

/** Max body in bytes: a segment file of a thousand definitions fits. */
export const SEGMENTS_BODY_LIMIT = 1024 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(reply: FastifyReply, message: string, errors: string[]): FastifyReply {
  return sendError(reply, 400, { message, errors }, 'invalid');
}

export async function adminSegmentRoutes(app: FastifyInstance): Promise<void> {
  const { segments } = app.odpkit;
  const accountOf = (request: FastifyRequest): string => request.account!.id;
  const bodyLimit = SEGMENTS_BODY_LIMIT;
  app.addHook('onRequest', requireAccount('private'));

  app.get('/admin/v1/segments', async (request) => ({ segments: await segments.list(accountOf(request)) }));

  app.get<{ Params: { name: string } }>('/admin/v1/segments/:name', async (request, reply) => {
    const found = (await segments.list(accountOf(request))).find((s) => s.name === request.params.name);
    if (found === undefined)
      return sendError(reply, 404, { message: `no segment named ${JSON.stringify(request.params.name)}` });
    return found;
  });

  app.put<{ Params: { name: string } }>('/admin/v1/segments/:name', { bodyLimit }, async (request, reply) => {
    const { name } = request.params;
    const body = request.body;
    // The name comes from the URL; a body may repeat it (a file entry pasted as is) but not contradict it.
    if (isObject(body) && body['name'] !== undefined && body['name'] !== name) {
      return invalid(reply, 'the segment definition is invalid', [
        `name: ${JSON.stringify(body['name'])} does not match the name in the URL ${JSON.stringify(name)}`,
      ]);
    }
    const parsed = parseSegmentDefinition(isObject(body) ? { ...body, name } : body);
    if (!parsed.ok) return invalid(reply, 'the segment definition is invalid', parsed.errors);
    const { created } = await segments.put(accountOf(request), parsed.value);
    const listed = (await segments.list(accountOf(request))).find((s) => s.name === name);
    return reply.code(created ? 201 : 200).send(listed);
  });

  app.delete<{ Params: { name: string } }>('/admin/v1/segments/:name', async (request, reply) => {
    const deleted = await segments.delete(accountOf(request), request.params.name);
    if (!deleted) return sendError(reply, 404, { message: `no segment named ${JSON.stringify(request.params.name)}` });
    return reply.code(204).send();
  });

  const apply = async (
    request: FastifyRequest<{ Querystring: { replace?: string } }>,
    reply: FastifyReply,
  ): Promise<FastifyReply> => {
    const replace = request.query.replace === 'true' || request.query.replace === '1';
    const result = await segments.applyFile(accountOf(request), request.body, { replace });
    if (!result.ok) return invalid(reply, 'the segment file is invalid; nothing was applied', result.errors);
    const { ok: _ok, ...summary } = result;
    return reply.code(200).send(summary);
  };
  // "segments:apply" in the Google API style, and "segments/apply" for clients that dislike colons
  // in paths ("::" escapes the colon in Fastify's router).
  app.post('/admin/v1/segments::apply', { bodyLimit }, apply);
  app.post('/admin/v1/segments/apply', { bodyLimit }, apply);
}
