import type { ActivityFeed } from '../activity/feed.js';
import type { Limits } from '../config.js';
import type { GroupCommitter } from '../ingest/group-commit.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SegmentService } from '../segments/service.js';
import type { Account, Store } from '../store/store.js';
import type { RejectReason } from './errors.js';
import type { WriteHealth } from './write-health.js';

/** What every route plugin can reach through `app.odpkit` (decorated once at the root, inherited by children). */
export interface OdpkitContext {
  store: Store;
  metrics: Metrics;
  limits: Limits;
  committer: GroupCommitter;
  /** Segment definitions and membership, shared by GraphQL, the admin API and the customer view. */
  segments: SegmentService;
  /** The injected clock (ms since epoch): received_at and every timestamp in a response body. */
  now: () => number;
  /** The account whose private key may read server-wide /metrics; null lets any account's private key read it. */
  operatorAccountId: string | null;
  /** Whether the store can write, from the last commit or probe; /health answers from it. */
  writeHealth: WriteHealth;
  /** Per-minute counters and live streams for the console (in memory, this node only). */
  activity: ActivityFeed;
}

declare module 'fastify' {
  interface FastifyInstance {
    odpkit: OdpkitContext;
  }
  interface FastifyRequest {
    account: Account | null;
  }
  interface FastifyReply {
    /** Set by sendError: why the request was refused, for the debug log line. */
    rejectReason: RejectReason | null;
  }
}
