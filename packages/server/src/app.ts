import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { DEFAULT_LIMITS, type Limits } from './config.js';
import { adminRoutes } from './http/admin.js';
import { registerCors } from './http/cors.js';
import { errorBody } from './http/errors.js';
import { eventsRoutes } from './http/events.js';
import { healthRoutes } from './http/health.js';
import { metricsRoutes } from './http/metrics.js';
import { segmentsRoutes } from './http/segments.js';
import { createGroupCommitter } from './ingest/group-commit.js';
import { createMetrics } from './metrics/metrics.js';
import { SegmentService } from './segments/service.js';
import type { Store } from './store/store.js';
import './http/context.js';

export interface AppOptions {
  store: Store;
  /** false (default here) for silence, true or pino options for structured logs. */
  logger?: boolean | Record<string, unknown>;
  limits?: Partial<Limits>;
  /** 0 (default): group the requests of one event-loop turn; > 0: also wait this long for more. */
  commitWindowMs?: number;
  /** Injectable clock (ms since epoch): received_at, timestamps in bodies. */
  now?: () => number;
  /** The account whose private key reads /metrics; omitted: any account's private key. */
  operatorAccountId?: string;
  /** Route plugins registered after the built-in ones, with `app.odpkit` available. */
  plugins?: FastifyPluginAsync[];
  /** Process metrics (CPU, memory, event loop) in /metrics; off by default because they are per process. */
  defaultMetrics?: boolean;
}

/** Composes the server from its route plugins. The caller owns the store; closing the app drains pending commits. */
export function createApp(options: AppOptions): FastifyInstance {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: (options.logger ?? false) as FastifyServerOptions['logger'],
    // A client that trickles headers or a body must not hold a connection forever.
    requestTimeout: 30_000,
    // Two log lines per request would cost more CPU than validating a batch of 10 at ingestion rates; failures are
    // logged where they happen, and /metrics counts every request by route and status.
    disableRequestLogging: true,
    // Routes read their own caps; this only bounds what Fastify's JSON parser reads for other plugins.
    bodyLimit: limits.maxBodyBytes,
  });

  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const committer = createGroupCommitter(options.store, {
    windowMs: options.commitWindowMs ?? 0,
    maxPendingEvents: limits.maxPendingEvents,
    maxGroupEvents: limits.maxGroupEvents,
    onCommit: (outcomes) => {
      metrics.commits.inc();
      for (const o of outcomes) metrics.recordOutcome(o);
    },
    onQueueDepth: (n) => metrics.pendingEvents.set(n),
  });

  app.decorate('odpkit', {
    store: options.store,
    metrics,
    limits,
    committer,
    segments: new SegmentService(options.store, { clock: now }),
    now,
    operatorAccountId: options.operatorAccountId ?? null,
  });
  app.decorateRequest('account', null);

  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  // Fastify's own errors (body too large, bad content length, timeouts) get the same body shape as ours.
  app.setErrorHandler(async (error, request, reply) => {
    const err = error as { statusCode?: number; message?: string; code?: string };
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 413) metrics.rejected.inc({ reason: 'too_large' });
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const message =
      status === 413
        ? `the body exceeds ${limits.maxBodyBytes} bytes`
        : status >= 500
          ? 'internal error'
          : String(err.message);
    return reply.code(status).send(errorBody(status, { message }, now));
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send(errorBody(404, { message: `no route ${request.method} ${request.url.split('?')[0]}` }, now)),
  );
  app.addHook('onClose', async () => {
    await committer.drain();
  });

  registerCors(app);
  app.register(eventsRoutes);
  app.register(healthRoutes);
  app.register(metricsRoutes);
  app.register(adminRoutes);
  app.register(segmentsRoutes);
  for (const plugin of options.plugins ?? []) app.register(plugin);
  return app;
}
