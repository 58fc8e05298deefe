/**
 * The wire limits of `POST /v3/events`, in one place for both sides: the SDK checks them before an event is queued,
 * and @odpkit/server enforces the same numbers (it imports this module), so an event the SDK accepts is never
 * refused later by our server for a limit the client could have checked. The hosted ODP documents no stricter ones.
 */
export const WIRE_LIMITS = Object.freeze({
  /** `type` and `action`: characters at most. */
  maxNameLength: 256,
  /** An identifier key: characters at most (after trimming it must still be non-empty). */
  maxIdentifierKeyLength: 128,
  /** Identifier keys on one event. */
  maxIdentifiersPerEvent: 50,
  /** An identifier value longer than this is kept on the event but never used for stitching. */
  maxIdentifierValueLength: 400,
  /** `data.idempotence_id`: characters at most; when present it must be a non-empty string. */
  maxIdempotenceIdLength: 200,
  /** One event serialised as JSON, in UTF-8 bytes. */
  maxEventBytes: 64 * 1024,
  /** Events in one request. */
  maxEventsPerRequest: 1000,
  /** One request body, on the wire and again after gzip/deflate decompression. */
  maxBodyBytes: 4 * 1024 * 1024,
  /** Nesting of arrays and objects in a request body (a valid batch needs 3: array, event, data). */
  maxJsonDepth: 32,
});

export type WireLimits = typeof WIRE_LIMITS;
