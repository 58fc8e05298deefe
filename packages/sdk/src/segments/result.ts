/** Why a segments fetch gave no answer. Each reason is a distinct, documented failure path. */
export type SegmentsFailureReason =
  | 'not_integrated' // the configuration says ODP is not integrated
  | 'config_pending' // no configuration yet (datafile not loaded) — the fetch waited and gave up
  | 'closed' // the client was closed
  | 'invalid_user_key' // the identifier key cannot be a GraphQL argument name
  | 'network' // connection refused, reset, DNS, timeout
  | 'http_status' // the server answered outside 2xx
  | 'decode' // the answer is not the documented shape
  | 'invalid_identifier' // the server does not know this user (INVALID_IDENTIFIER_EXCEPTION)
  | 'server_error'; // a GraphQL error with another classification

export interface SegmentsFailure {
  ok: false;
  reason: SegmentsFailureReason;
  message: string;
  status?: number;
  classification?: string;
}

export interface SegmentsSuccess {
  ok: true;
  segments: string[];
  fromCache: boolean;
}

export type SegmentsResult = SegmentsSuccess | SegmentsFailure;

/** Options accepted by fetchQualifiedSegments, with the official SDKs' string values (plain strings work too). */
export const SegmentOption = {
  IGNORE_CACHE: 'IGNORE_CACHE',
  RESET_CACHE: 'RESET_CACHE',
} as const;
export type SegmentOption = (typeof SegmentOption)[keyof typeof SegmentOption];
