import type { SegmentsFailure } from './result.js';

/**
 * Reads a `/v3/graphql` answer into the qualified segment names, or the precise reason it cannot.
 * Only nodes whose state is exactly "qualified" count (as in the official SDKs); an empty edge list is a valid
 * answer meaning "in no segment".
 */
export function parseSegmentsResponse(status: number, text: string): string[] | SegmentsFailure {
  if (status < 200 || status > 299) {
    return { ok: false, reason: 'http_status', status, message: `the segments endpoint answered HTTP ${status}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return decodeError('the body is not JSON');
  }
  if (!isObject(body)) return decodeError('the body is not a JSON object');

  const errors = body.errors;
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length === 0) return decodeError('"errors" is not a non-empty array');
    const first = errors[0];
    const extensions = isObject(first) && isObject(first.extensions) ? first.extensions : undefined;
    if (extensions?.code === 'INVALID_IDENTIFIER_EXCEPTION') {
      return {
        ok: false,
        reason: 'invalid_identifier',
        message: 'the server does not know this user (invalid identifier)',
      };
    }
    const classification = extensions?.classification;
    if (typeof classification !== 'string') return decodeError('an error without extensions.classification');
    const message = isObject(first) && typeof first.message === 'string' ? first.message : classification;
    return { ok: false, reason: 'server_error', classification, message: `${classification}: ${message}` };
  }

  const data = body.data;
  const customer = isObject(data) ? data.customer : undefined;
  const audiences = isObject(customer) ? customer.audiences : undefined;
  const edges = isObject(audiences) ? audiences.edges : undefined;
  if (!Array.isArray(edges)) return decodeError('data.customer.audiences.edges is missing');
  const qualified: string[] = [];
  for (const edge of edges) {
    const node = isObject(edge) ? edge.node : undefined;
    if (!isObject(node) || typeof node.name !== 'string' || typeof node.state !== 'string') {
      return decodeError('an edge without node.name and node.state');
    }
    if (node.state === 'qualified') qualified.push(node.name);
  }
  return qualified;
}

function decodeError(what: string): SegmentsFailure {
  return { ok: false, reason: 'decode', message: `cannot decode the segments answer: ${what}` };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
