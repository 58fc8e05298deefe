import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { GRAPHQL_BODY_LIMIT } from '../src/graphql/route.js';
import type { SegmentDataSource, SegmentService } from '../src/segments/service.js';
import type { CustomerView, StoredEvent } from '../src/segments/types.js';
import type { Store } from '../src/store/store.js';

/**
 * In-memory stand-in for the store's account and segment methods (the store has its own contract suite), under the
 * real app: the real key check, body decoding and error path.
 */
class MemorySource implements SegmentDataSource {
  customers: { accountId: string; view: CustomerView; events: StoredEvent[] }[] = [];
  definitions: { accountId: string; name: string; definition: unknown }[] = [];
  failLookups = false;

  async lookupCustomer(accountId: string, key: string, value: string) {
    if (this.failLookups) throw new Error('SQLITE_BUSY: database is locked (secret detail)');
    return (
      this.customers.find((c) => c.accountId === accountId && c.view.identifiers[key]?.includes(value))?.view ?? null
    );
  }
  async customerEvents(accountId: string, customerId: string, options: { sinceMs?: number } = {}) {
    const c = this.customers.find((c) => c.accountId === accountId && c.view.customerId === customerId);
    return (c?.events ?? []).filter((e) => e.receivedAt >= (options.sinceMs ?? 0)).reverse();
  }
  async listSegmentDefinitions(accountId: string) {
    return this.definitions
      .filter((d) => d.accountId === accountId)
      .map(({ name, definition }) => ({ name, definition, updatedAt: 0 }));
  }
  async putSegmentDefinition(accountId: string, name: string, definition: unknown) {
    this.definitions = this.definitions.filter((d) => !(d.accountId === accountId && d.name === name));
    this.definitions.push({ accountId, name, definition });
  }
  async accountByPublicKey(key: string) {
    return KEYS[key] ?? null;
  }
  async accountByPrivateKey() {
    return null;
  }
  async deleteSegmentDefinition(accountId: string, name: string) {
    const before = this.definitions.length;
    this.definitions = this.definitions.filter((d) => !(d.accountId === accountId && d.name === name));
    return this.definitions.length < before;
  }
}

const NOW = Date.UTC(2026, 0, 31);
const NOW_ISO = new Date(NOW).toISOString();
const KEYS: Record<string, { id: string }> = { 'pub-key-A': { id: 'A' }, 'pub-key-B': { id: 'B' } };

const source = new MemorySource();
let segments: SegmentService;
let app: FastifyInstance;
let url: string;

function event(action: string, data: StoredEvent['data'] = {}): StoredEvent {
  return { type: 'fullstack', action, identifiers: {}, data, receivedAt: NOW - 1000 };
}

beforeAll(async () => {
  app = createApp({ store: source as unknown as Store, now: () => NOW });
  segments = app.odpkit.segments;
  source.customers.push(
    {
      accountId: 'A',
      view: {
        customerId: 'a1',
        identifiers: { fs_user_id: ['tester-101'], email: ['t@example.com'], crm_id: ['CRM-7'] },
      },
      events: [event('opted_in', { channel: 'email' })],
    },
    { accountId: 'A', view: { customerId: 'a2', identifiers: { vuid: ['vuid_0123456789'] } }, events: [] },
    { accountId: 'B', view: { customerId: 'b1', identifiers: { fs_user_id: ['shared-user'] } }, events: [] },
    { accountId: 'A', view: { customerId: 'a3', identifiers: { fs_user_id: ['shared-user'] } }, events: [] },
  );
  await segments.applyFile('A', [
    { name: 'has_email', description: 'Customers with an email address', condition: { identifier: 'email' } },
    {
      name: 'has_email_opted_in',
      condition: { event: { action: 'opted_in', where: { channel: { eq: 'email' } } }, within: '30d' },
    },
    { name: 'push_on_sale', condition: { event: { action: 'push_opt_in' } } },
    { name: 'anyone', condition: { not: { identifier: 'nothing' } } },
  ]);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}/v3/graphql`;
});

afterAll(async () => {
  await app.close();
});

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    // Callers may override the key in any header case; do not send two spellings at once.
    headers: {
      'content-type': 'application/json',
      ...(Object.keys(headers).some((h) => h.toLowerCase() === 'x-api-key') ? {} : { 'x-api-key': 'pub-key-A' }),
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), json: JSON.parse(text) };
}

/** Form A exactly as the Python SDK sends it: json.dumps of query + variables. */
function formA(userKey: string, userId: string, audiences: string[]): string {
  const query = `query($userId: String, $audiences: [String]) {customer(${userKey}: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}`;
  return `{"query": ${JSON.stringify(query)}, "variables": {"userId": ${JSON.stringify(userId)}, "audiences": [${audiences.map((a) => JSON.stringify(a)).join(', ')}]}}`;
}

const query = (q: string, variables?: unknown) =>
  post(JSON.stringify(variables === undefined ? { query: q } : { query: q, variables }));

function expectGraphQLErrors(json: { errors?: unknown[] }, classification: string) {
  expect(json.errors?.length).toBeGreaterThan(0);
  for (const error of json.errors as Record<string, unknown>[]) {
    expect(typeof error['message']).toBe('string');
    expect(Array.isArray(error['locations'])).toBe(true);
    expect(error['extensions']).toMatchObject({ classification });
  }
}

describe('POST /v3/graphql: the SDK request forms', () => {
  it('answers form A (variables, Python/Go/Java SDKs) for fs_user_id', async () => {
    const res = await post(formA('fs_user_id', 'tester-101', ['has_email', 'has_email_opted_in', 'push_on_sale']));
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.json).toEqual({
      data: {
        customer: {
          audiences: {
            edges: [
              { node: { name: 'has_email', state: 'qualified' } },
              { node: { name: 'has_email_opted_in', state: 'qualified' } },
              { node: { name: 'push_on_sale', state: 'not_qualified' } },
            ],
          },
        },
      },
    });
  });

  it('answers form A for vuid', async () => {
    const res = await post(formA('vuid', 'vuid_0123456789', ['has_email', 'anyone']));
    expect(res.json).toEqual({
      data: {
        customer: {
          audiences: {
            edges: [
              { node: { name: 'has_email', state: 'not_qualified' } },
              { node: { name: 'anyone', state: 'qualified' } },
            ],
          },
        },
      },
    });
  });

  it('answers form B (inline literals, JS SDK) sent as the exact raw text the JS SDK sends', async () => {
    const body = String.raw`{"query" : "query {customer(fs_user_id : \"tester-101\") {audiences(subset: [\"has_email\",\"has_email_opted_in\",\"push_on_sale\"]) {edges {node {name state}}}}}"}`;
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      data: {
        customer: {
          audiences: {
            edges: [
              { node: { name: 'has_email', state: 'qualified' } },
              { node: { name: 'has_email_opted_in', state: 'qualified' } },
              { node: { name: 'push_on_sale', state: 'not_qualified' } },
            ],
          },
        },
      },
    });
  });

  it('accepts the api key header in any case', async () => {
    const res = await post(formA('fs_user_id', 'tester-101', ['has_email']), { 'X-API-KEY': 'pub-key-A' });
    expect(res.json.data.customer.audiences.edges).toEqual([{ node: { name: 'has_email', state: 'qualified' } }]);
  });

  it('returns the description when asked', async () => {
    const res = await query(
      'query { customer(fs_user_id: "tester-101") { audiences(subset: ["has_email"]) { edges { node { name state description } } } } }',
    );
    expect(res.json.data.customer.audiences.edges).toEqual([
      { node: { name: 'has_email', state: 'qualified', description: 'Customers with an email address' } },
    ]);
  });
});

describe('POST /v3/graphql: unknown customer', () => {
  it('answers HTTP 200 with data.customer null and an INVALID_IDENTIFIER_EXCEPTION error', async () => {
    const res = await post(formA('fs_user_id', 'nobody', ['has_email']));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      data: { customer: null },
      errors: [
        {
          message: 'Exception while fetching data (/customer) : could not resolve _fs_user_id = nobody',
          locations: [{ line: 1, column: 47 }],
          path: ['customer'],
          extensions: { classification: 'DataFetchingException', code: 'INVALID_IDENTIFIER_EXCEPTION' },
        },
      ],
    });
  });

  it('answers a null identifier value the same way', async () => {
    const res = await query(
      'query($id: String) { customer(vuid: $id) { audiences(subset: ["a"]) { edges { node { name } } } } }',
      {
        id: null,
      },
    );
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ customer: null });
    expect(res.json.errors[0].extensions).toEqual({
      classification: 'DataFetchingException',
      code: 'INVALID_IDENTIFIER_EXCEPTION',
    });
  });
});

describe('POST /v3/graphql: subsets', () => {
  it('answers in the order asked, unknown names not_qualified, duplicates once', async () => {
    const res = await post(
      formA('fs_user_id', 'tester-101', ['push_on_sale', 'no_such_segment', 'has_email', 'push_on_sale']),
    );
    expect(res.json.data.customer.audiences.edges).toEqual([
      { node: { name: 'push_on_sale', state: 'not_qualified' } },
      { node: { name: 'no_such_segment', state: 'not_qualified' } },
      { node: { name: 'has_email', state: 'qualified' } },
    ]);
  });

  it('answers an empty subset with no edges', async () => {
    const res = await post(formA('fs_user_id', 'tester-101', []));
    expect(res.json).toEqual({ data: { customer: { audiences: { edges: [] } } } });
  });

  it('answers every defined segment, sorted by name, when subset is omitted', async () => {
    const res = await query('{ customer(fs_user_id: "tester-101") { audiences { edges { node { name state } } } } }');
    expect(res.json.data.customer.audiences.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([
      'anyone',
      'has_email',
      'has_email_opted_in',
      'push_on_sale',
    ]);
  });

  it('sees events added after an earlier query (membership is not cached)', async () => {
    const q = () => post(formA('fs_user_id', 'tester-101', ['push_on_sale']));
    expect((await q()).json.data.customer.audiences.edges[0].node.state).toBe('not_qualified');
    source.customers.find((c) => c.view.customerId === 'a1')!.events.push(event('push_opt_in'));
    expect((await q()).json.data.customer.audiences.edges[0].node.state).toBe('qualified');
  });
});

describe('POST /v3/graphql: any one identifier', () => {
  it('looks a customer up by email', async () => {
    const res = await query(
      'query($e: String) { customer(email: $e) { audiences(subset: ["has_email"]) { edges { node { name state } } } } }',
      { e: 't@example.com' },
    );
    expect(res.json).toEqual({
      data: { customer: { audiences: { edges: [{ node: { name: 'has_email', state: 'qualified' } }] } } },
    });
  });

  it('looks a customer up by a custom identifier key, inline or through a String variable', async () => {
    const inline = await query(
      '{ customer(crm_id: "CRM-7") { audiences(subset: ["has_email"]) { edges { node { state } } } } }',
    );
    expect(inline.json).toEqual({ data: { customer: { audiences: { edges: [{ node: { state: 'qualified' } }] } } } });
    const variable = await query(
      'query($id: String!) { customer(crm_id: $id) { audiences(subset: ["has_email"]) { edges { node { state } } } } }',
      { id: 'CRM-7' },
    );
    expect(variable.json).toEqual(inline.json);
  });

  it('reports an unknown custom key value as an invalid identifier', async () => {
    const res = await query(
      '{ customer(crm_id: "CRM-0") { audiences(subset: ["has_email"]) { edges { node { state } } } } }',
    );
    expect(res.json.data).toEqual({ customer: null });
    expect(res.json.errors[0].message).toBe(
      'Exception while fetching data (/customer) : could not resolve _crm_id = CRM-0',
    );
  });
});

describe('POST /v3/graphql: malformed requests are GraphQL errors, never 5xx', () => {
  it('syntax error: 200 with InvalidSyntax and its location', async () => {
    const res = await query('query { customer(fs_user_id: "x") { audiences { edges { node { name }');
    expect(res.status).toBe(200);
    expectGraphQLErrors(res.json, 'InvalidSyntax');
    expect(res.json.errors[0].locations[0].line).toBe(1);
    expect(res.json).not.toHaveProperty('data');
  });

  it('no query: 400', async () => {
    for (const body of ['{}', '{"query": ""}', '{"query": 42}', '[]', '"just a string"']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expectGraphQLErrors(res.json, 'ValidationError');
    }
  });

  it('body that is not JSON (e.g. an unescaped quote in a JS SDK inline id): 400 InvalidSyntax', async () => {
    const body = String.raw`{"query" : "query {customer(fs_user_id : \"a"b\") {audiences(subset: []) {edges {node {name state}}}}}"}`;
    const res = await post(body);
    expect(res.status).toBe(400);
    expectGraphQLErrors(res.json, 'InvalidSyntax');
  });

  it('two identifier arguments, or none: ValidationError', async () => {
    const two = await query(
      '{ customer(fs_user_id: "tester-101", vuid: "vuid_0123456789") { audiences(subset: ["a"]) { edges { node { name } } } } }',
    );
    expect(two.status).toBe(200);
    expectGraphQLErrors(two.json, 'ValidationError');
    expect(two.json.errors[0].message).toBe(
      'customer takes exactly one identifier argument, e.g. customer(fs_user_id: "user-1") (got 2)',
    );
    const none = await query('{ customer { audiences(subset: ["a"]) { edges { node { name } } } } }');
    expect(none.status).toBe(200);
    expect(none.json.errors[0].message).toMatch(/exactly one identifier argument.*\(got 0\)$/);
  });

  it('wrong variable type: ValidationError', async () => {
    const q =
      'query($userId: String, $audiences: [String]) {customer(fs_user_id: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}';
    const res = await query(q, { userId: 5, audiences: ['has_email'] });
    expect(res.status).toBe(200);
    expectGraphQLErrors(res.json, 'ValidationError');
    expect(res.json.errors[0].message).toMatch(/\$userId/);
    const badVariables = await post(JSON.stringify({ query: q, variables: ['x'] }));
    expect(badVariables.status).toBe(400);
    expectGraphQLErrors(badVariables.json, 'ValidationError');
  });

  it('non-string values for custom identifier keys: ValidationError', async () => {
    const literal = await query('{ customer(crm_id: 7) { audiences { edges { node { name } } } } }');
    expectGraphQLErrors(literal.json, 'ValidationError');
    expect(literal.json.errors[0].message).toBe('customer(crm_id:) takes a String identifier value');
    const variable = await query('query($n: Int) { customer(crm_id: $n) { audiences { edges { node { name } } } } }', {
      n: 7,
    });
    expectGraphQLErrors(variable.json, 'ValidationError');
  });

  it('unknown fields, unknown arguments elsewhere and mutations: ValidationError', async () => {
    for (const q of [
      '{ customer(fs_user_id: "tester-101") { traits } }',
      '{ customer(fs_user_id: "tester-101") { audiences(subset: ["a"], limit: 2) { edges { node { name } } } } }',
      'mutation { deleteEverything }',
      'subscription { customer(fs_user_id: "x") { audiences { edges { node { name } } } } }',
    ]) {
      const res = await query(q);
      expect(res.status).toBe(200);
      expectGraphQLErrors(res.json, 'ValidationError');
    }
  });

  it('unsupported content type: 415 with a GraphQL error; JSON sent as text/plain is read', async () => {
    const res = await post(formA('fs_user_id', 'tester-101', ['a']), { 'content-type': 'application/xml' });
    expect(res.status).toBe(415);
    expectGraphQLErrors(res.json, 'ValidationError');
    const plain = await post(formA('fs_user_id', 'tester-101', ['has_email']), { 'content-type': 'text/plain' });
    expect(plain.json.data.customer.audiences.edges).toEqual([{ node: { name: 'has_email', state: 'qualified' } }]);
    const plainBroken = await post('{"query": ', { 'content-type': 'text/plain' });
    expect(plainBroken.status).toBe(400);
    expectGraphQLErrors(plainBroken.json, 'InvalidSyntax');
  });

  it('a store failure: 200, a generic DataFetchingException, no internals leaked', async () => {
    source.failLookups = true;
    try {
      const res = await post(formA('fs_user_id', 'tester-101', ['has_email']));
      expect(res.status).toBe(200);
      expect(res.json.data).toEqual({ customer: null });
      expect(res.json.errors).toEqual([
        {
          message: 'Exception while fetching data (/customer) : internal error',
          locations: [{ line: 1, column: 47 }],
          path: ['customer'],
          extensions: { classification: 'DataFetchingException' },
        },
      ]);
    } finally {
      source.failLookups = false;
    }
  });
});

describe('POST /v3/graphql: limits', () => {
  it('refuses deeply nested queries before executing', async () => {
    const deep = `{ customer(fs_user_id: "x") { ${'audiences { edges { node { '.repeat(5)}name${' } } }'.repeat(5)} } }`;
    const res = await query(deep);
    expect(res.status).toBe(200);
    expectGraphQLErrors(res.json, 'ExecutionAborted');
  });

  it('refuses more than 10 customer look-ups in one query', async () => {
    const fields = Array.from(
      { length: 11 },
      (_, i) => `c${i}: customer(fs_user_id: "tester-101") { audiences { edges { node { name } } } }`,
    );
    const res = await query(`{ ${fields.join(' ')} }`);
    expectGraphQLErrors(res.json, 'ExecutionAborted');
    expect(res.json.errors[0].message).toBe('query asks for 11 customers (maximum 10)');
  });

  it('counts fields with fragments expanded, so spreads cannot multiply work past the limit', async () => {
    const frags = ['fragment F0 on AudienceEdge { node { name state description } }'];
    for (let i = 1; i <= 12; i++) frags.push(`fragment F${i} on AudienceEdge { ...F${i - 1} ...F${i - 1} }`);
    const res = await query(
      `{ customer(fs_user_id: "tester-101") { audiences { edges { ...F12 } } } } ${frags.join(' ')}`,
    );
    expect(res.status).toBe(200);
    expectGraphQLErrors(res.json, 'ExecutionAborted');
    expect(res.json.errors[0].message).toBe('query selects more than 2000 fields');
  });

  it('stops parsing after 10,000 tokens', async () => {
    const res = await query(`{ ${'a '.repeat(10_001)}}`);
    expect(res.status).toBe(200);
    expectGraphQLErrors(res.json, 'ExecutionAborted');
    expect(res.json.errors[0].message).toMatch(/more tha[nt] 10000 tokens/);
  });

  it('refuses query texts over 32 KiB and bodies over the body limit', async () => {
    const long = await query(
      `{ customer(fs_user_id: "${'x'.repeat(33 * 1024)}") { audiences { edges { node { name } } } } }`,
    );
    expect(long.status).toBe(200);
    expectGraphQLErrors(long.json, 'ExecutionAborted');
    expect(long.json.errors[0].message).toMatch(/^query is \d+ characters long \(maximum 32768\)$/);
    // The body limit refuses before GraphQL starts, so the answer is the server's shared error shape.
    const huge = await post(
      JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(GRAPHQL_BODY_LIMIT) } }),
    );
    expect(huge.status).toBe(413);
    expect(huge.json).toEqual({
      title: 'Payload Too Large',
      status: 413,
      timestamp: NOW_ISO,
      detail: { message: `the body exceeds ${GRAPHQL_BODY_LIMIT} bytes` },
    });
  });

  it('refuses a body nested deeper than 32 levels before parsing it, as a GraphQL error', async () => {
    const depth = 100_000;
    const res = await post(`{"query":"{ __typename }","variables":{"v":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    expect(res.status).toBe(400);
    expectGraphQLErrors(res.json, 'InvalidSyntax');
    expect(res.json.errors[0].message).toBe('the body nests arrays and objects deeper than 32 levels');
  });
});

describe('POST /v3/graphql: authentication and isolation', () => {
  it("401 without a key or with an unknown one, from the shared builder and the app's clock", async () => {
    const wanted = "this route needs the account's public key in x-api-key";
    const cases = [
      { headers: { 'x-api-key': '' }, message: wanted },
      { headers: { 'x-api-key': 'wrong' }, message: `unknown key: ${wanted}` },
    ];
    for (const { headers, message } of cases) {
      const res = await post(formA('fs_user_id', 'tester-101', ['has_email']), headers);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ title: 'Unauthorized', status: 401, timestamp: NOW_ISO, detail: { message } });
    }
  });

  it('keeps __proto__ in variables as plain data', async () => {
    const q = 'query($userId: String) { customer(fs_user_id: $userId) { audiences { edges { node { name } } } } }';
    const res = await post(
      `{"query": ${JSON.stringify(q)}, "variables": {"userId": "tester-101", "__proto__": {"x": 1}}}`,
    );
    expect(res.status).toBe(200);
    expect(res.json.data.customer.audiences.edges.length).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it("account B's key cannot see account A's customers", async () => {
    const res = await post(formA('fs_user_id', 'tester-101', ['has_email']), { 'x-api-key': 'pub-key-B' });
    expect(res.json.data).toEqual({ customer: null });
    expect(res.json.errors[0].extensions.code).toBe('INVALID_IDENTIFIER_EXCEPTION');
  });

  it("account B's customers are not in account A's segments", async () => {
    // The same fs_user_id exists in both accounts; B defines no segments.
    const asB = await post(formA('fs_user_id', 'shared-user', ['anyone', 'has_email']), { 'x-api-key': 'pub-key-B' });
    expect(asB.json.data.customer.audiences.edges).toEqual([
      { node: { name: 'anyone', state: 'not_qualified' } },
      { node: { name: 'has_email', state: 'not_qualified' } },
    ]);
    const asA = await post(formA('fs_user_id', 'shared-user', ['anyone']));
    expect(asA.json.data.customer.audiences.edges).toEqual([{ node: { name: 'anyone', state: 'qualified' } }]);
  });
});
