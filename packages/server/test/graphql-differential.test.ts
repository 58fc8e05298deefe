import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../src/graphql/document-cache.js';
import { runGraphQL } from '../src/graphql/execute.js';
import { type SegmentDataSource, SegmentService } from '../src/segments/service.js';
import type { CustomerView, StoredEvent } from '../src/segments/types.js';

// The SDK query shape is answered by a precompiled plan (fast-path.ts) instead of graphql-js
// `execute`. This runs one corpus through both paths and requires byte-identical bodies.

const NOW = Date.UTC(2026, 0, 31);

function source(fail: 'none' | 'lookup' | 'events'): SegmentDataSource {
  const customers: CustomerView[] = [
    { customerId: 'c1', identifiers: { fs_user_id: ['u1'], email: ['u1@example.com'], crm_id: ['K1'] } },
    { customerId: 'c2', identifiers: { vuid: ['vuid_abcdef'] } },
  ];
  const events: StoredEvent[] = [
    { type: 'fullstack', action: 'purchased', identifiers: {}, data: { price: 150 }, receivedAt: NOW - 1000 },
  ];
  return {
    lookupCustomer: async (_a, key, value) => {
      if (fail === 'lookup') throw new Error('store down');
      return customers.find((c) => c.identifiers[key]?.includes(value)) ?? null;
    },
    customerEvents: async (_a, id) => {
      if (fail === 'events') throw new Error('store down');
      return id === 'c1' ? events : [];
    },
    listSegmentDefinitions: async () => [
      {
        name: 'buyer',
        definition: { name: 'buyer', description: 'bought', condition: { event: { action: 'purchased' } } },
        updatedAt: 0,
      },
      { name: 'has_email', definition: { name: 'has_email', condition: { identifier: 'email' } }, updatedAt: 0 },
    ],
    putSegmentDefinition: async () => {},
    deleteSegmentDefinition: async () => false,
  };
}

const SDK_A =
  'query($userId: String, $audiences: [String]) {customer(fs_user_id: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}';
const SDK_A_VUID = SDK_A.replace('fs_user_id:', 'vuid:');

// [query, variables, whether the fast path must handle it]
const corpus: [string, Record<string, unknown> | undefined, boolean][] = [
  [SDK_A, { userId: 'u1', audiences: ['buyer', 'has_email', 'nope', 'buyer'] }, true],
  [SDK_A, { userId: 'nobody', audiences: ['buyer'] }, true],
  [SDK_A, { userId: null, audiences: ['buyer'] }, true],
  [SDK_A, { audiences: ['buyer'] }, true],
  [SDK_A, { userId: 'u1' }, true],
  [SDK_A, { userId: 'u1', audiences: null }, true],
  [SDK_A, { userId: 'u1', audiences: 'buyer' }, true],
  [SDK_A, { userId: 'u1', audiences: ['buyer', null] }, true],
  [SDK_A, { userId: 'u1', audiences: [] }, true],
  [SDK_A, { userId: 5, audiences: ['buyer'] }, true],
  [SDK_A, { userId: 'u1', audiences: [1] }, true],
  [SDK_A_VUID, { userId: 'vuid_abcdef', audiences: ['has_email', 'buyer'] }, true],
  [
    'query {customer(fs_user_id : "u1") {audiences(subset: ["has_email","buyer","push_on_sale"]) {edges {node {name state}}}}}',
    undefined,
    true,
  ],
  [
    '{ customer(crm_id: "K1") { audiences(subset: "buyer") { edges { node { state name description } } } } }',
    undefined,
    true,
  ],
  [
    '{ c: customer(email: "u1@example.com") { a: audiences { e: edges { n: node { s: state d: description } } } } }',
    undefined,
    true,
  ],
  [
    'query Q($k: String!) { customer(crm_id: $k) { audiences(subset: null) { edges { node { name } } } } }',
    { k: 'K1' },
    true,
  ],
  ['query Q($k: String!) { customer(crm_id: $k) { audiences { edges { node { name } } } } }', {}, true],
  ['{ customer(vuid: "missing") { audiences { edges { node { name } } } } }', undefined, true],
  // Shapes the plan leaves to graphql-js: they must still work.
  ['{ customer(fs_user_id: "u1") { __typename audiences { edges { node { name } } } } }', undefined, false],
  [
    '{ customer(fs_user_id: "u1") { audiences { edges { ...N } } } } fragment N on AudienceEdge { node { name state } }',
    undefined,
    false,
  ],
  ['{ customer(fs_user_id: "u1") { audiences { edges { node { name name } } } } }', undefined, false],
  ['{ customer(fs_user_id: "u1") { audiences @include(if: true) { edges { node { name } } } } }', undefined, false],
];

describe('fast path and graphql-js answer identically', () => {
  for (const fail of ['none', 'lookup', 'events'] as const) {
    it(`with the store ${fail === 'none' ? 'working' : `failing in ${fail}`}`, async () => {
      const segments = new SegmentService(source(fail), { clock: () => NOW });
      const documents = new DocumentCache();
      for (const [query, variables, fast] of corpus) {
        const prepared = documents.prepare(query);
        expect(prepared.ok, query).toBe(true);
        expect(prepared.ok && prepared.plan !== null, query).toBe(fast);
        const payload = variables === undefined ? { query } : { query, variables };
        const internal: unknown[] = [];
        const options = { accountId: 'a', segments, documents, onInternalError: (e: unknown) => internal.push(e) };
        const viaPlan = await runGraphQL(payload, options);
        const viaGraphql = await runGraphQL(payload, { ...options, fastPath: false });
        expect(JSON.stringify(viaPlan), query).toBe(JSON.stringify(viaGraphql));
        expect(viaPlan.status).toBe(200);
        // Store failures are reported to the log hook on both paths.
        expect(internal.length % 2, query).toBe(0);
      }
    });
  }

  it('uses graphql-js when operationName names another operation', async () => {
    const segments = new SegmentService(source('none'), { clock: () => NOW });
    const documents = new DocumentCache();
    const res = await runGraphQL(
      { query: `query Mine ${SDK_A.slice('query'.length)}`, operationName: 'Other', variables: { userId: 'u1' } },
      { accountId: 'a', segments, documents },
    );
    expect(res.body).toEqual({
      errors: [
        {
          message: 'Unknown operation named "Other".',
          locations: [],
          extensions: { classification: 'ValidationError' },
        },
      ],
    });
  });
});
