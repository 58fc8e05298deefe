import type { FastifyInstance } from 'fastify';
import { MemberCounts } from '../segments/member-counts.js';
import { requireAccount } from './auth.js';

/**
 * GET /admin/v1/segment-counts (private key): members per segment, from the last background count (see
 * segments/member-counts.ts); never waits for a count. Not under /admin/v1/segments/ so no segment name is shadowed.
 */
export function segmentCountRoutes(maxCustomers?: number) {
  return async function segmentCounts(app: FastifyInstance): Promise<void> {
    const { store, segments, now } = app.odpkit;
    const counts = new MemberCounts(store, segments, now, maxCustomers, (err) =>
      app.log.error({ err }, 'segment member count failed'),
    );
    app.addHook('onRequest', requireAccount('private'));
    app.get('/admin/v1/segment-counts', async (request) => counts.snapshot(request.account!.id));
  };
}
