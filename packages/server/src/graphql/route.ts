// POST /v3/graphql (public key): the segment query endpoint the ODP SDKs call. The key is checked by the shared
// requireAccount hook before the body is read, and a refusal before GraphQL starts (401, the body limit, the
// in-flight budget) answers in the server's shared error shape. Once the body is read, problems with it answer as
// GraphQL errors ({errors: [...]}, 400 for a body that is no GraphQL request, 200 for everything GraphQL itself
// reports), because GraphQL clients read the reason from there.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireAccount } from '../http/auth.js';
import { type BodyFailure, decodeBody } from '../http/body.js';
import { DocumentCache } from './document-cache.js';
import { requestError } from './errors.js';
import { type GraphQLResponse, runGraphQL } from './execute.js';

/** Max request body in bytes: queries are small; this bounds a huge variables list. */
export const GRAPHQL_BODY_LIMIT = 256 * 1024;
/** Parsed documents kept, by query text. */
const DOCUMENT_CACHE_SIZE = 1000;

function send(reply: FastifyReply, result: GraphQLResponse | { status: 413 | 415; body: GraphQLResponse['body'] }) {
  // Serialise once here: the body has no schema for Fastify's serializer to speed up.
  return reply
    .code(result.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify(result.body));
}

function bodyError(failure: BodyFailure) {
  const classification =
    failure.status === 400 ? 'InvalidSyntax' : failure.status === 413 ? 'ExecutionAborted' : 'ValidationError';
  return { status: failure.status, body: { errors: [requestError(failure.message, classification)] } };
}

export async function graphqlRoutes(app: FastifyInstance): Promise<void> {
  const documents = new DocumentCache(DOCUMENT_CACHE_SIZE);
  const { segments } = app.odpkit;

  // The body is read raw (capped by the body limit) and decoded here, so its problems become GraphQL errors;
  // parsers are encapsulated, so this does not change other plugins.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/v3/graphql',
    { onRequest: requireAccount('public'), bodyLimit: GRAPHQL_BODY_LIMIT },
    async (request, reply) => {
      const decoded = await decodeBody(request.body as Buffer | undefined, request.headers, GRAPHQL_BODY_LIMIT);
      if (!decoded.ok) return send(reply, bodyError(decoded));
      const result = await runGraphQL(decoded.value, {
        accountId: request.account!.id,
        segments,
        documents,
        onInternalError: (err) => request.log.error({ err }, 'graphql resolver failed'),
      });
      return send(reply, result);
    },
  );
}
