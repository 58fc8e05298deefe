import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { ActivityFeed } from './activity/feed.js';
import { DEFAULT_LIMITS, type Limits } from './config.js';
import { graphqlRoutes } from './graphql/route.js';
import { adminCustomerRoutes } from './http/admin.js';
import { BodyError } from './http/body.js';
import { registerBodyBudget } from './http/body-budget.js';
import { consoleRoutes, tapRejectedEvents } from './http/console.js';
import { registerCors } from './http/cors.js';
import { registerEarlyAnswerClose } from './http/early-answer.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './http/error-handler.js';
import { defaultReason } from './http/errors.js';
import { eventsRoutes } from './http/events.js';
import { healthRoutes } from './http/health.js';
import { parseJsonBytes } from './http/json.js';
import { metricsRoutes } from './http/metrics.js';
import { WriteHealth } from './http/write-health.js';
import { createGroupCommitter } from './ingest/group-commit.js';
import { lifecycleRoutes } from './lifecycle/admin-routes.js';
import { createMetrics } from './metrics/metrics.js';
import { adminSegmentRoutes } from './segments/admin-route.js';
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
  /** Route plugins registered after the built-in ones, with `app.odpkit` and `requireAccount` available. */
  plugins?: FastifyPluginAsync[];
  /** Process metrics (CPU, memory, event loop) in /metrics; off by default because they are per process. */
  defaultMetrics?: boolean;
}

/** Path parameters longer than this (segment names are far shorter) are refused with 414 by the router. */
const MAX_PARAM_LENGTH = 100;

/** Composes the server from one plugin per feature. The caller owns the store; closing the app drains pending commits. */
export function createApp(options: AppOptions): FastifyInstance {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: (options.logger ?? false) as FastifyServerOptions['logger'],
    // Two log lines per request would cost more CPU than validating a batch of 10 at ingestion rates; failures are
    // logged where they happen, refusals at debug level, and /metrics counts every request by route and status.
    logController: new LogController({ disableRequestLogging: true }),
    // A client that trickles headers or a body, or holds a connection open doing nothing, is cut off.
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      // Node checks the header and request timeouts on this interval, so a timeout fires at most this much late.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    bodyLimit: limits.maxBodyBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors(MAX_PARAM_LENGTH),
    clientErrorHandler: clientErrorHandler(now),
  });
  app.server.maxConnections = limits.maxConnections;

  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const writeHealth = new WriteHealth(options.store, app.log);
  const activity = new ActivityFeed(now);
  const committer = createGroupCommitter(options.store, {
    windowMs: options.commitWindowMs ?? 0,
    maxPendingEvents: limits.maxPendingEvents,
    maxGroupEvents: limits.maxGroupEvents,
    onCommit: (outcomes, batches) => {
      writeHealth.recordSuccess();
      metrics.commits.inc();
      for (const o of outcomes) metrics.recordOutcome(o);
      activity.committed(batches, outcomes);
    },
    onQueueDepth: (n) => metrics.pendingEvents.set(n),
  });

  const segments = new SegmentService(options.store, { clock: now });
  app.decorate('odpkit', {
    store: options.store,
    metrics,
    limits,
    committer,
    segments,
    now,
    operatorAccountId: options.operatorAccountId ?? null,
    writeHealth,
    activity,
  });
  app.decorateRequest('account', null);
  app.decorateReply('rejectReason', null);

  let lastDropWarning = Number.NEGATIVE_INFINITY;
  app.server.on('drop', () => {
    metrics.connectionsDropped.inc();
    // One warning per minute at most: a connection flood must not become a log flood.
    if (performance.now() - lastDropWarning > 60_000) {
      lastDropWarning = performance.now();
      app.log.warn({ maxConnections: limits.maxConnections }, 'connection refused: too many open connections');
    }
  });

  // Any JSON body of a route that does not read its own (plugins added later): depth-checked, parsed safely, and
  // refused through the shared error handler.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const parsed = parseJsonBytes(body as Buffer);
    if (parsed.ok) done(null, parsed.value);
    else done(new BodyError(parsed.status, parsed.message), undefined);
  });

  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    metrics.requestDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', status: String(status) },
      reply.elapsedTime / 1000,
    );
    if (status >= 400 && status < 500) {
      // Refusals are the client's business, not the operator's: debug level, and no personal data (no key, no
      // query string, no body, no message that might quote them).
      request.log.debug(
        {
          method: request.method,
          route: request.routeOptions.url ?? null,
          status,
          reason: reply.rejectReason ?? defaultReason(status),
        },
        'request refused',
      );
    }
  });
  // Segment state is rebuilt in the background after definition changes (src/segments/README.md).
  segments.startStateBuilder({ log: app.log });
  app.addHook('onClose', async () => {
    await committer.drain();
    await segments.close();
  });

  registerErrorHandling(app);
  // Up to 2 s for a client to finish sending a body nobody will read, so it gets the answer instead of a reset.
  registerEarlyAnswerClose(app, Math.min(2_000, limits.requestTimeoutMs));
  registerBodyBudget(app, limits.maxInflightBodyBytes);
  registerCors(app);
  tapRejectedEvents(app);
  app.register(eventsRoutes);
  app.register(graphqlRoutes);
  app.register(adminCustomerRoutes);
  app.register(adminSegmentRoutes);
  app.register(healthRoutes);
  app.register(metricsRoutes);
  app.register(lifecycleRoutes);
  app.register(consoleRoutes);
  for (const plugin of options.plugins ?? []) app.register(plugin);
  return app;
}
