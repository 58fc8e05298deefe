import type { FastifyInstance } from 'fastify';
import { consoleStaticRoutes } from './console-static.js';
import { liveRoutes } from './live.js';
import { overviewRoutes } from './overview.js';
import { segmentCountRoutes } from './segment-counts.js';
import { segmentExplainRoutes } from './segment-explain.js';

/** The web console's files and the admin endpoints only it needs; each plugin keeps its own auth hook. */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  app.register(consoleStaticRoutes());
  app.register(overviewRoutes);
  app.register(liveRoutes);
  app.register(segmentExplainRoutes);
  app.register(segmentCountRoutes());
}

/**
 * Counts each event batch refused after its public key was accepted, and shows it on the live page with the reasons
 * sent to the client. Reads only the error body already built for the client.
 */
export function tapRejectedEvents(app: FastifyInstance): void {
  const { activity, now } = app.odpkit;
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || request.account === null || request.routeOptions.url !== '/v3/events') return payload;
    let body: unknown = null;
    if (typeof payload === 'string') {
      try {
        body = JSON.parse(payload);
      } catch {
        body = null;
      }
    }
    activity.rejected(request.account.id, reply.statusCode, body, now());
    return payload;
  });
}
