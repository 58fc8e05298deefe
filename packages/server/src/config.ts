import { WIRE_LIMITS } from '@odpkit/sdk/limits';

/** Request and queue limits. Defaults follow DESIGN §3; every one is configurable so tests can reach each boundary. */
export interface Limits {
  /** Events per request; more is 413. */
  maxEvents: number;
  /** Body bytes per request, on the wire and again after gzip/deflate decompression; more is 413. */
  maxBodyBytes: number;
  /** Events waiting for a group commit; a batch that would exceed it gets 503 + Retry-After. */
  maxPendingEvents: number;
  /** Events per group-commit transaction at most (bounds how long one commit blocks the event loop). */
  maxGroupEvents: number;
  /** Seconds announced in Retry-After on 503. */
  retryAfterSeconds: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxEvents: WIRE_LIMITS.maxEventsPerRequest,
  maxBodyBytes: WIRE_LIMITS.maxBodyBytes,
  maxPendingEvents: 50_000,
  maxGroupEvents: 2_000,
  retryAfterSeconds: 1,
};
