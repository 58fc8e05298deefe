import { WIRE_LIMITS } from '@odpkit/sdk/limits';

/**
 * Request, queue, connection and timeout limits. The body and batch caps are the wire limits the SDK checks too; every
 * one is configurable so tests can reach each boundary. packages/server/README.md lists each with its status code.
 */
export interface Limits {
  /** Events per request; more is 413. */
  maxEvents: number;
  /** Body bytes per request, on the wire and again after gzip/deflate decompression; more is 413. */
  maxBodyBytes: number;
  /**
   * Bytes all request bodies in flight may hold together (declared length, plus the decompressed cap when
   * compressed); a request beyond it gets 503 + Retry-After before its body is read.
   */
  maxInflightBodyBytes: number;
  /** Events waiting for a group commit; a batch that would exceed it gets 503 + Retry-After. */
  maxPendingEvents: number;
  /** Events per group-commit transaction at most (bounds how long one commit blocks the event loop). */
  maxGroupEvents: number;
  /** Seconds announced in Retry-After on 503. */
  retryAfterSeconds: number;
  /** Open connections at most; the server stops accepting beyond it (Node's server.maxConnections). */
  maxConnections: number;
  /** The request line and headers must arrive within this (ms) of the first byte, else 408 and the connection closes. */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this (ms), else 408 and the connection closes. */
  requestTimeoutMs: number;
  /** A connection on which nothing moves for this long (ms) is closed. */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxEvents: WIRE_LIMITS.maxEventsPerRequest,
  maxBodyBytes: WIRE_LIMITS.maxBodyBytes,
  maxInflightBodyBytes: 32 * 1024 * 1024,
  maxPendingEvents: 50_000,
  maxGroupEvents: 2_000,
  retryAfterSeconds: 1,
  maxConnections: 1_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};
