/** One ODP event exactly as it goes on the wire (key order: type, action, identifiers, data). */
export interface OdpEvent {
  type: string;
  action: string;
  identifiers: Record<string, string>;
  data: Record<string, OdpDataValue>;
}

export type OdpDataValue = string | number | boolean | null;

/**
 * An object whose every property holds a V. Unlike `Record<string, V>`, an `interface` satisfies it (interfaces have
 * no implicit index signature), so `interface Purchase { item: string; price: number }` can be passed as data.
 */
export type FieldsOf<T, V> = { readonly [K in keyof T]: V };

/**
 * What identifiers or data of type T must look like: a Map with string keys and V values, or an object (plain or
 * interface-typed) whose properties are all V. Parameters are typed `I & KeyValuesOf<I, V>`: I is inferred from the
 * argument as it is, then each of its properties is checked against V.
 */
export type KeyValuesOf<T, V> = T extends ReadonlyMap<unknown, unknown> ? ReadonlyMap<string, V> : FieldsOf<T, V>;

/** A plain object or a Map: both are accepted wherever identifiers or data are expected. */
export type KeyValues<V> = { readonly [key: string]: V } | ReadonlyMap<string, V>;

type DefaultIdentifiers = Record<string, string>;
type DefaultData = Record<string, OdpDataValue>;

/** The object form of sendOdpEvent. */
export interface SendOdpEventInput<I extends object = DefaultIdentifiers, D extends object = DefaultData> {
  action: string;
  identifiers: I & KeyValuesOf<I, string>;
  type?: string | null;
  data?: (D & KeyValuesOf<D, OdpDataValue>) | null;
}

export type EventStatus = 'rejected' | 'sent' | 'failed' | 'dropped';

/**
 * Machine-readable reason codes, so applications can branch without parsing `reason` text.
 * - invalid_event: failed validation (the `reason` names the field and the problem)
 * - identify_skipped: identifyUser had fewer than two non-empty identifiers
 * - client_closed: sent after close()
 * - not_integrated: the configuration says ODP is not integrated (or the datafile was invalid)
 * - config_unavailable: the configuration never arrived before flush/close/exit gave up waiting for it
 * - queue_full_count / queue_full_bytes: the queue bound of that name was reached
 * - accepted: the server answered 2xx
 * - http_error: a non-retryable HTTP status (e.g. 400, 401, 413); `detail` carries the server's detail
 * - retries_exhausted: every attempt allowed by maxRetries failed with a retryable error
 * - shutdown_timeout: close() or process exit stopped waiting (flushTimeout or the timeout given) before the event
 *   was delivered; the reason says what was last tried
 */
export type OutcomeCode =
  | 'invalid_event'
  | 'identify_skipped'
  | 'client_closed'
  | 'not_integrated'
  | 'config_unavailable'
  | 'queue_full_count'
  | 'queue_full_bytes'
  | 'accepted'
  | 'http_error'
  | 'retries_exhausted'
  | 'shutdown_timeout';

export interface EventOutcome {
  status: EventStatus;
  code: OutcomeCode;
  /** Human-readable, names the field or bound or HTTP status involved. */
  reason: string;
  /** The event as built (absent for events rejected before they could be built). */
  event?: OdpEvent;
  /** For failures: the server's `detail` (400 bodies) or the status / error text. */
  detail?: unknown;
  /** HTTP status of the last attempt, when there was one. */
  httpStatus?: number;
  /** Attempts made for the batch that carried this event (0 when it never reached the network). */
  attempts?: number;
}

export interface OutcomeCounts {
  sent: number;
  failed: number;
  dropped: number;
  rejected: number;
}

export interface DeliverySummary extends OutcomeCounts {
  /**
   * Events of this window still on their way when flush() stopped waiting (its timeout passed). They keep being
   * delivered and are counted in a later summary. Always 0 from close(): it settles every event.
   */
  pending: number;
  /** Whether the timeout passed before every event of the window had settled. */
  timedOut: boolean;
  /**
   * Count of not-sent events per reason text, e.g. { "HTTP 400: …": 3, "queue full: maxQueueSize (5 events) reached": 2 }.
   * Pending events are listed here too, under the reason they are still waiting.
   */
  reasons: Record<string, number>;
  /** Counts since the client was created (the top-level counts cover only this flush/close window). */
  totals: OutcomeCounts;
}

export interface TransportRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Event batches are sent as UTF-8 bytes (a JSON array); other requests have no body. */
  body?: string | Uint8Array;
  /** Milliseconds for the whole exchange; the transport rejects when it passes. */
  timeout: number;
  /**
   * True for event batches: the request should not keep a process alive by itself (on Node, unref its socket and
   * timer). The SDK holds the process open at exit while events are in flight, with a deadline, so a server that
   * never answers cannot keep it alive forever. Requests whose answer the application awaits leave it unset.
   */
  unref?: boolean;
  /**
   * The request should outlive the page (fetch `keepalive`). Set only for bodies that fit the browser's keepalive
   * budget; transports without the notion ignore it.
   */
  keepalive?: boolean;
}

export interface TransportResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
}

/**
 * The only seam between the SDK and the network. Reject (never resolve) for network errors and timeouts;
 * resolve with any HTTP status, including 4xx/5xx.
 */
/** What flush() and close() accept. */
export interface FlushOptions {
  /**
   * ms to wait for delivery. Default: the flushTimeout option (10 s). flush() then resolves with what is still
   * pending; close() fails what is left with `shutdown_timeout`, so every event is reported.
   */
  timeout?: number;
}

/**
 * The part of `fetch` the fetch transport uses, declared here so the type declarations need neither the DOM lib nor
 * @types/node: the global fetch of browsers, Deno, Bun, workers and Node ≥ 18 all fit.
 */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Uint8Array | string; signal?: unknown },
) => Promise<{
  status: number;
  text(): Promise<string>;
  headers: { forEach(callback: (value: string, name: string) => void): void };
}>;

export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  /** Release pooled connections. Called by close(). */
  close?(): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

export interface DirectOdpConfig {
  apiKey: string;
  apiHost: string;
  segmentsToCheck?: string[];
}

export interface OdpClientOptions {
  /**
   * An Optimizely datafile (object or JSON string). Exactly one of datafile, datafileUrl, odp. Not on the browser
   * entry, which keeps the datafile code out of pages: there, pass `odp: odpConfigFromDatafile(datafile)`.
   */
  datafile?: object | string;
  /** URL of a datafile, fetched at once and then polled with If-None-Match. Not on the browser entry. */
  datafileUrl?: string;
  /** ms between datafile polls. Default 300_000. */
  datafilePollInterval?: number;
  /** Direct ODP configuration, or what odpConfigFromDatafile(datafile) returns. */
  odp?: DirectOdpConfig | OdpConfigFromDatafile;
  /** Events that make a batch worth sending at once. Default 10 (max 1000). */
  batchSize?: number;
  /**
   * Most events one request may carry when more are already waiting for a free request slot (a backlog).
   * Default 500 (1 when flushInterval is 0); set it equal to batchSize for requests of exactly batchSize.
   */
  maxBatchSize?: number;
  /** ms an event may wait for its batch to fill. Default 1000; 0 sends each event on its own. */
  flushInterval?: number;
  /** ms for one HTTP exchange. Default 10_000. */
  requestTimeout?: number;
  /**
   * Retries after the first attempt. Default Infinity: a batch is retried until it is delivered, fails for good
   * (a non-retryable status) or close()/process exit stops waiting; the queue bounds limit what an outage holds.
   */
  maxRetries?: number;
  /** First backoff delay in ms (doubles per retry, with jitter). Default 200. */
  retryBaseDelay?: number;
  /** Cap in ms for a backoff delay and for an honoured Retry-After. Default 10_000. */
  retryMaxDelay?: number;
  /**
   * ms that flush() and close() wait for delivery when no timeout is given, and that the SDK keeps a Node process
   * alive at exit to deliver what is left. Default 10_000.
   */
  flushTimeout?: number;
  /** Events accepted but not yet delivered or failed. Default 250_000. */
  maxQueueSize?: number;
  /** Serialized bytes of those events. Default 64 MiB. */
  maxQueueBytes?: number;
  /** Largest single serialized event in bytes. Default 64 KiB. */
  maxEventBytes?: number;
  /** Requests in flight (and so connections per host). Default 4. */
  maxInFlight?: number;
  /** Users whose qualified segments are cached. Default 10_000; 0 disables the cache. */
  segmentsCacheSize?: number;
  /** ms a cached answer stays valid. Default 600_000; 0 means it never expires. */
  segmentsCacheTimeout?: number;
  /** ms for one segments request. Default: requestTimeout. */
  segmentsRequestTimeout?: number;
  logger?: Logger;
  /** Default 'warn'. */
  logLevel?: LogLevel;
  /** Default: node:http/https keep-alive on Node, fetch elsewhere. */
  transport?: Transport;
  /**
   * Browser: give this visitor an id (`vuid_…`, kept in localStorage under `optimizely-vuid`, as the official SDK
   * does) and attach it to events that carry no `vuid`. Default false. Runtimes without localStorage have no vuid.
   */
  vuid?: boolean;
}

export type OutcomeListener = (outcome: EventOutcome) => void;

export interface OdpClient {
  /** Note the order: action, identifiers, type, data (the official JavaScript SDK puts type second). */
  sendOdpEvent<I extends object, D extends object = DefaultData>(
    action: string,
    identifiers: I & KeyValuesOf<I, string>,
    type?: string | null,
    data?: (D & KeyValuesOf<D, OdpDataValue>) | null,
  ): void;
  sendOdpEvent<I extends object, D extends object = DefaultData>(event: SendOdpEventInput<I, D>): void;
  identifyUser<I extends object>(identifiers: I & KeyValuesOf<I, string | null | undefined>): void;
  on(event: 'event', listener: OutcomeListener): void;
  off(event: 'event', listener: OutcomeListener): void;
  /** Sends every partial batch now and resolves once they settled, or when the timeout passes (see FlushOptions). */
  flush(options?: FlushOptions): Promise<DeliverySummary>;
  /** Flushes (within the timeout), reports what could not be delivered, then stops timers and polling. */
  close(options?: FlushOptions): Promise<DeliverySummary>;
  /** A frozen copy of the current ODP configuration as the client understands it. */
  readonly config: OdpConfigState;
  /** The visitor id (browser, with the `vuid` option), else undefined. */
  readonly vuid: string | undefined;
}

export type SegmentOptionName = 'IGNORE_CACHE' | 'RESET_CACHE' | (string & {});

export type OdpConfigState =
  | { state: 'pending' }
  | { state: 'integrated'; apiKey: string; apiHost: string; segmentsToCheck: readonly string[] }
  | { state: 'not_integrated'; reason: string };

export type IntegratedConfig = Extract<OdpConfigState, { state: 'integrated' }>;

/** What odpConfigFromDatafile returns; the `odp` option takes it as it is. */
export type OdpConfigFromDatafile = Exclude<OdpConfigState, { state: 'pending' }>;
