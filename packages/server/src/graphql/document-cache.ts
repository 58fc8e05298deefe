// Parsed and validated documents by query text. SDKs send the same few query texts over and
// over (the variables form is constant per identifier type), so after the first request the
// hot path skips lexing, parsing, validation and cost analysis entirely.

import { type DocumentNode, GraphQLError, parse, validate } from 'graphql';
import { type Classification, requestError, toWireError, type WireError } from './errors.js';
import { type FastPlan, planFor } from './fast-path.js';
import { checkCost, checkSize, LIMITS } from './limits.js';
import { validationRules } from './rules.js';
import { schema } from './schema.js';

export type Prepared = { ok: true; document: DocumentNode; plan: FastPlan | null } | { ok: false; errors: WireError[] };

/** Longer texts (unusual: a huge inline subset) are prepared every time rather than held in memory. */
const MAX_CACHED_TEXT = 8 * 1024;

export class DocumentCache {
  private readonly entries = new Map<string, Prepared>();
  constructor(private readonly capacity = 1000) {}

  get size(): number {
    return this.entries.size;
  }

  prepare(query: string): Prepared {
    const hit = this.entries.get(query);
    if (hit !== undefined) {
      // Map keeps insertion order: re-inserting makes this the most recently used entry.
      this.entries.delete(query);
      this.entries.set(query, hit);
      return hit;
    }
    const prepared = prepareDocument(query);
    if (query.length <= MAX_CACHED_TEXT) {
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(query, prepared);
    }
    return prepared;
  }
}

function fail(message: string, classification: Classification): Prepared {
  return { ok: false, errors: [requestError(message, classification)] };
}

export function prepareDocument(query: string): Prepared {
  if (query.length > LIMITS.maxQueryLength) {
    return fail(`query is ${query.length} characters long (maximum ${LIMITS.maxQueryLength})`, 'ExecutionAborted');
  }
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: false, maxTokens: LIMITS.maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError) {
      // graphql-js reports the token limit as a syntax error ("Document contains more that N
      // tokens. Parsing aborted."); it is a limit, not bad syntax.
      const classification = error.message.includes('tokens. Parsing aborted') ? 'ExecutionAborted' : 'InvalidSyntax';
      return { ok: false, errors: [toWireError(error, classification)] };
    }
    throw error;
  }
  const tooBig = checkSize(document);
  if (tooBig !== null) return fail(tooBig, 'ExecutionAborted');
  const invalid = validate(schema, document, validationRules, { maxErrors: 20 });
  if (invalid.length > 0) return { ok: false, errors: invalid.map((e) => toWireError(e, 'ValidationError')) };
  const tooCostly = checkCost(document);
  if (tooCostly !== null) return fail(tooCostly, 'ExecutionAborted');
  return { ok: true, document, plan: planFor(document) };
}
