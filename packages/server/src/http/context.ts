import type { Limits } from '../config.js';
import type { GroupCommitter } from '../ingest/group-commit.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SegmentService } from '../segments/service.js';
import type { Account, Store } from '../store/store.js';

/** What every route plugin can reach through `app.odpkit` (decorated once at the root, inherited by children). */
export interface OdpkitContext {
  store: Store;
  metrics: Metrics;
  limits: Limits;
  committer: GroupCommitter;
  /** Segment definitions and membership, shared by GraphQL, the admin API and the customer view. */
  segments: SegmentService;
  now: () => number;
  /** The account whose private key may read server-wide /metrics; null lets any account's private key read it. */
  operatorAccountId: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    odpkit: OdpkitContext;
  }
  interface FastifyRequest {
    account: Account | null;
  }
}
