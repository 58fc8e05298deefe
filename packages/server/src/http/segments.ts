import type { FastifyInstance } from 'fastify';
import { graphqlRoute } from '../graphql/route.js';
import { adminSegmentsRoute } from '../segments/admin-route.js';
import { authenticate } from './auth.js';

/**
 * POST /v3/graphql (public key) and the admin segment API (private key), sharing the one SegmentService that
 * app.ts decorated, so a definition changed through the admin API is answered by GraphQL at once. Registered
 * without fastify-plugin: each route plugin keeps its own auth hook and error handler.
 */
export async function segmentsRoutes(app: FastifyInstance): Promise<void> {
  const { segments } = app.odpkit;
  await app.register(graphqlRoute, { segments, authenticate: (request) => authenticate(request, 'public') });
  await app.register(adminSegmentsRoute, { segments, authenticate: (request) => authenticate(request, 'private') });
}
