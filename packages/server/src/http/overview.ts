import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { requireAccount } from './auth.js';
import { sendError } from './errors.js';

const WINDOWS = { hour: 60, day: 1_440 } as const;

/** The receive time of the account's oldest stored event, from stores that keep track of it (retention); else null. */
function oldestEventAt(store: Store, accountId: string): Promise<number | null> {
  const withRetention = store as Store & { oldestEventAt?: (accountId: string) => Promise<number | null> };
  return withRetention.oldestEventAt?.(accountId) ?? Promise.resolve(null);
}

/** This package's version: package.json sits one folder above dist/ (built) and two above src/http/ (tests). */
function serverVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@odpkit/server' && pkg.version) return pkg.version;
    } catch {
      // try the next
    }
  }
  return 'unknown';
}

/**
 * GET /admin/v1/overview?window=hour|day (private key): the account's per-minute activity as counted by this node
 * (see activity/minute-counters.ts), its totals from the store, and what the server runs on.
 */
export async function overviewRoutes(app: FastifyInstance): Promise<void> {
  const { store, activity } = app.odpkit;
  const version = serverVersion();
  app.addHook('onRequest', requireAccount('private'));

  app.get('/admin/v1/overview', async (request, reply) => {
    const window = (request.query as Record<string, unknown>)['window'] ?? 'hour';
    if (window !== 'hour' && window !== 'day') {
      return sendError(reply, 400, { message: 'window must be hour or day' });
    }
    const accountId = request.account!.id;
    const [stats, diagnostics, oldest] = await Promise.all([
      store.accountStats(accountId),
      store.diagnostics(),
      oldestEventAt(store, accountId),
    ]);
    return {
      customers: stats.customers,
      events: stats.events,
      oldest_event_kept: typeof oldest === 'number' ? new Date(oldest).toISOString() : null,
      store: diagnostics.driver,
      version,
      window,
      per_minute: activity.counters.series(accountId, WINDOWS[window]),
      counted_since: new Date(activity.startedAt).toISOString(),
    };
  });
}
