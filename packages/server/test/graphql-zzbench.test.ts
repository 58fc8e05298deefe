import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { it } from 'vitest';
import { graphqlRoute } from '../src/graphql/route.js';
import { authenticate } from '../src/http/auth.js';
import { SegmentService } from '../src/segments/service.js';
import { startServer } from '../src/server.js';

it('bench', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gqlbench-'));
  let segments!: SegmentService;
  const server = await startServer({
    db: join(dir, 'db.sqlite'),
    port: 0,
    logger: false,
    publicKey: 'pub',
    privateKey: 'priv',
    plugins: [
      async (app: FastifyInstance) => {
        segments = new SegmentService(app.odpkit.store);
        await app.register(graphqlRoute, { segments, authenticate: (r) => authenticate(r, 'public') });
      },
    ],
  });
  const CUST = 20000,
    PER = 10;
  for (let b = 0; b < (CUST * PER) / 1000; b++) {
    const batch = Array.from({ length: 1000 }, (_, i) => {
      const n = b * 1000 + i;
      return {
        type: 'fullstack',
        action: n % 3 ? 'purchased' : 'viewed',
        identifiers: { fs_user_id: `user-${n % CUST}` },
        data: { price: n % 200 },
      };
    });
    await fetch(`${server.url}/v3/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'pub' },
      body: JSON.stringify(batch),
    });
  }
  const defs = Array.from({ length: 20 }, (_, i) => ({
    name: `s${i}`,
    condition: {
      event: { action: 'purchased', where: { price: { gte: i * 10 } } },
      count: { gte: 1 + (i % 3) },
      within: `${i + 1}d`,
    },
  }));
  await segments.applyFile(server.account.id, defs);
  const q =
    'query($userId: String, $audiences: [String]) {customer(fs_user_id: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}';
  let k = 0;
  const result = await autocannon({
    url: `${server.url}/v3/graphql`,
    connections: 32,
    duration: 8,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'pub' },
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: JSON.stringify({
            query: q,
            variables: { userId: `user-${(k++ * 7919) % CUST}`, audiences: ['s1', 's5', 's9', 's13', 's17'] },
          }),
        }),
      },
    ],
  });
  console.log(
    'BENCH rps',
    result.requests.average,
    'p50',
    result.latency.p50,
    'p99',
    result.latency.p99,
    'non2xx',
    result.non2xx,
    'errors',
    result.errors,
  );
  await server.close();
}, 300_000);
