import { it } from 'vitest';
import { DocumentCache } from '../src/graphql/document-cache.js';
import { runGraphQL } from '../src/graphql/execute.js';
import { SegmentService } from '../src/segments/service.js';

it('perf', async () => {
  const now = Date.now();
  const events = Array.from({ length: 10 }, (_, i) => ({
    type: 'fullstack',
    action: i % 2 ? 'purchased' : 'viewed',
    identifiers: {},
    data: { price: i * 20 },
    receivedAt: now - i * 3600_000,
  }));
  const defs = Array.from({ length: 20 }, (_, i) => ({
    name: `s${i}`,
    definition: {
      name: `s${i}`,
      condition: {
        event: { action: 'purchased', where: { price: { gte: i * 10 } } },
        count: { gte: 1 + (i % 3) },
        within: `${i + 1}d`,
      },
    },
    updatedAt: 0,
  }));
  const store = {
    lookupCustomer: async () => ({ customerId: 'c', identifiers: { fs_user_id: ['u'] } }),
    customerEvents: async () => events,
    listSegmentDefinitions: async () => defs,
    putSegmentDefinition: async () => {},
    deleteSegmentDefinition: async () => true,
  };
  const segments = new SegmentService(store);
  const documents = new DocumentCache();
  const body = {
    query:
      'query($userId: String, $audiences: [String]) {customer(fs_user_id: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}',
    variables: { userId: 'u', audiences: ['s1', 's5', 's9', 's13', 's17'] },
  };
  const time = async (label: string, fn: () => Promise<unknown>) => {
    for (let i = 0; i < 3000; i++) await fn();
    const n = 30000;
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn();
    console.log('PERF', label, (((performance.now() - t) * 1000) / n).toFixed(1));
  };
  await time('runGraphQL fast', () => runGraphQL(body, { accountId: 'a', segments, documents }));
  await time('runGraphQL graphql-js', () => runGraphQL(body, { accountId: 'a', segments, documents, fastPath: false }));
});
