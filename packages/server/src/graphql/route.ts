// POST /v3/graphql: the segment query endpoint the ODP SDKs call (research odp-sdk-behaviour.md §5).
// Register without fastify-plugin: the auth hook, body limit and error handler below must stay
// inside this plugin's encapsulation context and not affect the rest of the app.

import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SegmentService } from '../segments/service.js';
import { DocumentCache } from './document-cache.js';
import { requestError, type WireError } from './errors.js';
import { type GraphQLResponse, parseTextBody, runGraphQL } from './execute.js';

export interface Account {
  id: string;
}

export interface GraphqlRouteOptions {
  segments: SegmentService;
  /** Resolves the public key in the request (x-api-key) to its account, or null. */
  authenticate: (request: FastifyRequest) => Promise<Account | null>;
  /** Max request body in bytes; default 256 KiB (queries are small; this bounds a huge variables list). */
  bodyLimit?: number;
  /** Parsed documents kept, by query text. */
  documentCacheSize?: number;
}

/** The server's problem shape, used for what is not a GraphQL answer (auth failures). */
function problem(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return reply.code(status).send({ title, status, timestamp: new Date().toISOString(), detail: { message } });
}

function graphqlErrors(reply: FastifyReply, status: number, errors: WireError[]): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ errors }));
}

function send(reply: FastifyReply, result: GraphQLResponse): FastifyReply {
  // Serialise once here: the body has no schema for Fastify's serializer to speed up.
  return reply
    .code(result.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify(result.body));
}

export const graphqlRoute: FastifyPluginAsync<GraphqlRouteOptions> = async (app, options) => {
  const documents = new DocumentCache(options.documentCacheSize ?? 1000);
  // Request → account, without decorating the request type (which other plugins may also do).
  const accounts = new WeakMap<FastifyRequest, Account>();

  // Authenticate before the body is read, so unauthenticated clients cannot make us parse it.
  app.addHook('onRequest', async (request, reply) => {
    const account = await options.authenticate(request);
    if (account === null) {
      const hasKey = typeof request.headers['x-api-key'] === 'string' && request.headers['x-api-key'] !== '';
      return problem(reply, 401, 'Unauthorized', hasKey ? 'unknown API key' : 'missing x-api-key header');
    }
    accounts.set(request, account);
  });

  // Body problems become GraphQL-shaped errors, so GraphQL clients can show the reason.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return graphqlErrors(reply, 413, [requestError('request body is too large', 'ExecutionAborted')]);
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return graphqlErrors(reply, 415, [requestError('content-type must be application/json', 'ValidationError')]);
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return graphqlErrors(reply, error.statusCode, [
        requestError(`request body is not valid JSON: ${error.message}`, 'InvalidSyntax'),
      ]);
    }
    request.log.error({ err: error }, 'graphql request failed');
    return problem(reply, 500, 'Internal Server Error', 'the request could not be processed');
  });

  app.post('/v3/graphql', { bodyLimit: options.bodyLimit ?? 256 * 1024 }, async (request, reply) => {
    const account = accounts.get(request)!;
    let payload = request.body;
    if (typeof payload === 'string' && request.headers['content-type']?.startsWith('text/plain')) {
      const parsed = parseTextBody(payload);
      if (!parsed.ok) return send(reply, parsed.response);
      payload = parsed.payload;
    }
    const result = await runGraphQL(payload, {
      accountId: account.id,
      segments: options.segments,
      documents,
      onInternalError: (err) => request.log.error({ err }, 'graphql resolver failed'),
    });
    return send(reply, result);
  });
};
