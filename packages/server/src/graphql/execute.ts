// Runs one GraphQL-over-HTTP request body for one account and decides the HTTP status:
// 400 when the body is not a GraphQL request at all (no query string, bad variables object),
// 200 for everything else, including syntax, validation and field errors, as GraphQL over HTTP
// prescribes for application/json responses. Never 5xx for anything the client sent.

import { execute, type GraphQLError } from 'graphql';
import type { SegmentService } from '../segments/service.js';
import type { DocumentCache } from './document-cache.js';
import { requestError, toWireError, type WireError } from './errors.js';
import { runPlan } from './fast-path.js';
import { type GraphQLContext, schema } from './schema.js';

export interface GraphQLResponse {
  status: 200 | 400;
  body: { data?: unknown; errors?: WireError[] };
}

export interface RunOptions {
  accountId: string;
  segments: SegmentService;
  documents: DocumentCache;
  /** Called with resolver failures that are our fault (store errors), which clients see only as a generic message. */
  onInternalError?: (error: unknown) => void;
  /** false forces graphql-js execution even for the SDK query shape (for the differential test). */
  fastPath?: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badRequest(message: string): GraphQLResponse {
  return { status: 400, body: { errors: [requestError(message, 'ValidationError')] } };
}

function fieldError(error: GraphQLError, onInternalError?: (error: unknown) => void): WireError {
  if (error.extensions['classification'] !== undefined) return toWireError(error, 'DataFetchingException');
  // Not one of ours: a store failure or a bug. Log it, and do not echo internals to the client.
  onInternalError?.(error.originalError ?? error);
  const where = error.path ? `/${error.path.join('/')}` : '';
  const wire = toWireError(error, 'DataFetchingException');
  wire.message = `Exception while fetching data (${where}) : internal error`;
  return wire;
}

export async function runGraphQL(payload: unknown, options: RunOptions): Promise<GraphQLResponse> {
  if (!isObject(payload)) return badRequest('request body must be a JSON object with a "query" string');
  const { query, variables, operationName } = payload;
  if (typeof query !== 'string' || query.trim() === '') return badRequest('"query" must be a non-empty string');
  if (variables != null && !isObject(variables)) return badRequest('"variables" must be an object');
  if (operationName != null && typeof operationName !== 'string') return badRequest('"operationName" must be a string');

  const prepared = options.documents.prepare(query);
  if (!prepared.ok) return { status: 200, body: { errors: prepared.errors } };

  const toFieldError = (e: GraphQLError) => fieldError(e, options.onInternalError);
  if (
    prepared.plan !== null &&
    options.fastPath !== false &&
    (operationName == null || operationName === prepared.plan.operation.name?.value)
  ) {
    const fast = await runPlan(prepared.plan, variables ?? undefined, options, toFieldError);
    if ('requestErrors' in fast) {
      return { status: 200, body: { errors: fast.requestErrors.map((e) => toWireError(e, 'ValidationError')) } };
    }
    return {
      status: 200,
      body: fast.errors.length > 0 ? { data: fast.data, errors: fast.errors } : { data: fast.data },
    };
  }

  const contextValue: GraphQLContext = { accountId: options.accountId, segments: options.segments };
  const result = await execute({
    schema,
    document: prepared.document,
    variableValues: variables ?? undefined,
    operationName: operationName ?? undefined,
    contextValue,
  });
  if (!('data' in result)) {
    // No data at all: the request failed before execution (variable coercion, unknown operation name).
    return { status: 200, body: { errors: (result.errors ?? []).map((e) => toWireError(e, 'ValidationError')) } };
  }
  const body: GraphQLResponse['body'] = { data: result.data };
  if (result.errors && result.errors.length > 0) {
    body.errors = result.errors.map(toFieldError);
  }
  return { status: 200, body };
}
