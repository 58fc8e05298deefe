import { describe, expect, it } from 'vitest';
import { segmentsQueryBody } from '../src/segments/graphql-query.js';
import { parseSegmentsResponse } from '../src/segments/parse-response.js';

const ok = (edges: unknown) => JSON.stringify({ data: { customer: { audiences: { edges } } } });

describe('segments request body', () => {
  it('is the variables form with the exact query text and JSON-encoded values', () => {
    const body = JSON.parse(segmentsQueryBody('fs_user_id', 'a"b\\c', ['s1', 's"2']));
    expect(body).toEqual({
      query:
        'query($userId: String, $audiences: [String]) {customer(fs_user_id: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}',
      variables: { userId: 'a"b\\c', audiences: ['s1', 's"2'] },
    });
  });
});

describe('segments response parsing', () => {
  it('keeps only nodes whose state is exactly "qualified", in answer order', () => {
    const text = ok([
      { node: { name: 'a', state: 'qualified' } },
      { node: { name: 'b', state: 'not_qualified' } },
      { node: { name: 'c', state: 'not-qualified' } },
      { node: { name: 'd', state: 'qualified', description: 'extra fields are ignored' } },
    ]);
    expect(parseSegmentsResponse(200, text)).toEqual(['a', 'd']);
  });

  it('an empty edge list is a valid answer', () => {
    expect(parseSegmentsResponse(200, ok([]))).toEqual([]);
  });

  it('reports an HTTP status outside 2xx with the status', () => {
    expect(parseSegmentsResponse(403, '{}')).toMatchObject({ ok: false, reason: 'http_status', status: 403 });
    expect(parseSegmentsResponse(500, 'oops')).toMatchObject({ ok: false, reason: 'http_status', status: 500 });
  });

  it('reports INVALID_IDENTIFIER_EXCEPTION as invalid_identifier', () => {
    const text = JSON.stringify({
      errors: [
        {
          message: 'could not resolve _fs_user_id = x',
          locations: [{ line: 2, column: 3 }],
          path: ['customer'],
          extensions: { classification: 'DataFetchingException', code: 'INVALID_IDENTIFIER_EXCEPTION' },
        },
      ],
      data: { customer: null },
    });
    expect(parseSegmentsResponse(200, text)).toMatchObject({ ok: false, reason: 'invalid_identifier' });
  });

  it('reports other GraphQL errors with their classification', () => {
    const text = JSON.stringify({
      errors: [{ message: 'boom', locations: [], extensions: { classification: 'TestExceptionClass' } }],
      data: { customer: null },
    });
    expect(parseSegmentsResponse(200, text)).toMatchObject({
      ok: false,
      reason: 'server_error',
      classification: 'TestExceptionClass',
    });
  });

  it.each([
    ['not JSON', 'not json'],
    ['a JSON null', 'null'],
    ['a JSON number', '42'],
    ['errors without classification', JSON.stringify({ errors: [{ message: 'x', extensions: {} }] })],
    ['an empty errors array', JSON.stringify({ errors: [], data: { customer: null } })],
    ['no data path', JSON.stringify({ data: { customer: null } })],
    ['an edge without node', ok([{ nod: {} }])],
    ['a node without state', ok([{ node: { name: 'a' } }])],
    ['a node with a non-string name', ok([{ node: { name: 1, state: 'qualified' } }])],
  ])('reports a decode error for %s', (_what, text) => {
    expect(parseSegmentsResponse(200, text)).toMatchObject({ ok: false, reason: 'decode' });
  });
});
