import { ConfigHolder } from './config/config-holder.js';
import { InvalidDatafileError, odpConfigFromDatafile } from './config/datafile.js';
import { DatafilePoller } from './config/datafile-poller.js';
import { buildEvent, readIdentifiers } from './event/build-event.js';
import { describeValue } from './event/describe.js';
import { Dispatcher } from './event/dispatcher.js';
import { OutcomeLedger } from './event/outcomes.js';
import { setOwn } from './event/own-key.js';
import { createLogger } from './logger.js';
import { OdpConfigError, type ResolvedOptions, resolveOptions } from './options.js';
import { defaultTransport } from './platform/default-transport.js';
import { onProcessExit } from './platform/exit-hook.js';
import { unrefTimeout } from './platform/timers.js';
import type { SegmentsResult } from './segments/result.js';
import { SegmentManager } from './segments/segment-manager.js';
import { OdpUserContext } from './segments/user-context.js';
import { userKeyFor } from './segments/user-key.js';
import type {
  DeliverySummary,
  FlushOptions,
  KeyValuesOf,
  Logger,
  OdpClient,
  OdpClientOptions,
  OdpConfigState,
  OdpDataValue,
  OutcomeCode,
  OutcomeListener,
  SegmentOptionName,
  SendOdpEventInput,
  Transport,
} from './types.js';

export const IDENTIFIED_ACTION = 'identified';

/**
 * Creates a client. Throws OdpConfigError at once for options that cannot work (no or several configuration
 * sources, an invalid datafile, a bad number); after that, nothing the client does throws.
 */
export function createOdpClient(options: OdpClientOptions): OdpClient {
  return new OdpClientImpl(resolveOptions(options));
}

/**
 * The facade: it only routes. Building and validating is in event/build-event, bounds and delivery in
 * event/dispatcher, outcomes and summaries in event/outcomes, configuration in config/. Segments subscribe to the
 * same ConfigHolder and share the transport and logger.
 */
class OdpClientImpl implements OdpClient {
  private readonly logger: Logger;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly holder = new ConfigHolder();
  private readonly ledger: OutcomeLedger;
  private readonly dispatcher: Dispatcher;
  private readonly poller: DatafilePoller | undefined;
  private readonly segments: SegmentManager;
  private readonly maxEventBytes: number;
  private readonly flushTimeout: number;
  /** Set while the client holds events: the process-exit hook then reaches it (see platform/exit-hook). */
  private unregisterExit: (() => void) | undefined;
  /** What `config` hands out: a frozen copy, so no caller can change the client's own state. */
  private publicConfig: OdpConfigState;
  private closing: Promise<DeliverySummary> | undefined;
  /** Refusals for a client-wide reason (closed, not integrated) are logged once each, not once per event. */
  private readonly loggedOnce = new Set<OutcomeCode>();

  constructor(o: ResolvedOptions) {
    this.logger = createLogger(o.logger, o.logLevel);
    this.ownsTransport = o.transport === undefined;
    this.transport = o.transport ?? defaultTransport(o.maxInFlight);
    this.maxEventBytes = o.maxEventBytes;
    this.flushTimeout = o.flushTimeout;
    this.publicConfig = this.holder.state;
    this.ledger = new OutcomeLedger(this.logger);
    this.dispatcher = new Dispatcher(o, this.transport, this.ledger, this.logger, (busy) => {
      if (busy) this.unregisterExit ??= onProcessExit(this);
      else {
        this.unregisterExit?.();
        this.unregisterExit = undefined;
      }
    });
    this.segments = new SegmentManager({
      post: (r) =>
        this.transport.request({ method: 'POST', url: r.url, headers: r.headers, body: r.body, timeout: r.timeoutMs }),
      cacheSize: o.segmentsCacheSize,
      cacheTimeoutMs: o.segmentsCacheTimeout,
      requestTimeoutMs: o.segmentsRequestTimeout,
      logger: this.logger,
    });
    this.holder.subscribe((next) => {
      this.publicConfig = frozenCopy(next);
      this.loggedOnce.delete('not_integrated');
      this.dispatcher.onConfig(next);
      // Answers cached under another key, host or segment list may no longer be true.
      this.segments.reset();
    });

    const src = o.source;
    if (src.kind === 'datafile') {
      try {
        this.holder.set(odpConfigFromDatafile(src.datafile));
      } catch (err) {
        if (err instanceof InvalidDatafileError) throw new OdpConfigError(`odpkit: invalid datafile: ${err.message}`);
        throw err;
      }
    } else if (src.kind === 'direct') {
      this.holder.set({
        state: 'integrated',
        apiKey: src.apiKey,
        apiHost: src.apiHost,
        segmentsToCheck: src.segmentsToCheck,
      });
    } else {
      this.poller = new DatafilePoller({
        url: src.url,
        pollInterval: src.pollInterval,
        requestTimeout: o.requestTimeout,
        transport: this.transport,
        holder: this.holder,
        logger: this.logger,
      });
      this.poller.start();
    }
  }

  get config(): OdpConfigState {
    return this.publicConfig;
  }

  sendOdpEvent<I extends object, D extends object>(
    action: string,
    identifiers: I & KeyValuesOf<I, string>,
    type?: string | null,
    data?: (D & KeyValuesOf<D, OdpDataValue>) | null,
  ): void;
  sendOdpEvent<I extends object, D extends object>(event: SendOdpEventInput<I, D>): void;
  sendOdpEvent(first: unknown, identifiers?: unknown, type?: unknown, data?: unknown): void {
    let seq = 0;
    try {
      seq = this.ledger.begin();
      if (this.refusedByState(seq)) return;
      let built: ReturnType<typeof buildEvent>;
      if (typeof first === 'object' && first !== null && !(first instanceof Map) && !Array.isArray(first)) {
        const ev = first as Record<string, unknown>;
        let fields: [unknown, unknown, unknown, unknown];
        try {
          fields = [ev.action, ev.identifiers, ev.type, ev.data];
        } catch (err) {
          this.reject(seq, 'invalid_event', `the event object could not be read (${errorText(err)})`);
          return;
        }
        built = buildEvent(fields[0], fields[1], fields[2], fields[3], this.maxEventBytes);
      } else {
        built = buildEvent(first, identifiers, type, data, this.maxEventBytes);
      }
      this.accept(seq, built);
    } catch (err) {
      // Last line of defence: whatever happened, the caller's code keeps running and the event is accounted for.
      if (seq !== 0) this.reject(seq, 'invalid_event', `event could not be processed (${errorText(err)})`);
    }
  }

  identifyUser<I extends object>(identifiers: I & KeyValuesOf<I, string | null | undefined>): void {
    let seq = 0;
    try {
      seq = this.ledger.begin();
      if (this.refusedByState(seq)) return;
      // Empty values are skipped, as the official SDKs do for identify; anything else that is not a string is a bug.
      const given: Record<string, unknown> = {};
      const take = (k: unknown, v: unknown) => {
        if (v === null || v === undefined || v === '') return;
        if (typeof k === 'string') setOwn(given, k, v);
        else throw new TypeError(`identifiers has a key that is not a string (${describeValue(k)})`);
      };
      if (identifiers instanceof Map) for (const [k, v] of identifiers) take(k, v);
      else if (typeof identifiers === 'object' && identifiers !== null && !Array.isArray(identifiers)) {
        for (const k of Object.keys(identifiers)) take(k, (identifiers as Record<string, unknown>)[k]);
      } else {
        this.reject(
          seq,
          'invalid_event',
          `identifiers must be a plain object or a Map (got ${describeValue(identifiers)})`,
        );
        return;
      }
      const ids: Record<string, string> = {};
      const problem = readIdentifiers(given, ids, this.maxEventBytes);
      const count = problem === undefined ? Object.keys(ids).length : 0;
      if (problem !== undefined && count === 0 && Object.keys(given).length > 0) {
        this.reject(seq, 'invalid_event', problem);
        return;
      }
      if (count < 2) {
        const reason = `identifyUser needs at least two non-empty identifiers (got ${count}); nothing sent`;
        this.logger.debug(reason);
        this.ledger.settle(seq, 'rejected', 'identify_skipped', reason);
        return;
      }
      this.accept(seq, buildEvent(IDENTIFIED_ACTION, ids, undefined, undefined, this.maxEventBytes));
    } catch (err) {
      if (seq !== 0) this.reject(seq, 'invalid_event', `identifyUser: ${errorText(err)}`);
    }
  }

  async fetchQualifiedSegments(
    user: string | { key: string; value: string },
    options: readonly SegmentOptionName[] = [],
  ): Promise<SegmentsResult> {
    let who: { key: string; value: string };
    if (typeof user === 'string') who = { key: userKeyFor(user), value: user };
    else if (
      typeof user === 'object' &&
      user !== null &&
      typeof user.key === 'string' &&
      typeof user.value === 'string'
    ) {
      who = { key: user.key, value: user.value };
    } else {
      return this.segmentsFailed(
        { key: '?', value: '?' },
        {
          ok: false,
          reason: 'invalid_user_key',
          message: `user must be a string id or { key, value } (got ${describeValue(user)})`,
        },
      );
    }
    if (who.value === '') {
      return this.segmentsFailed(who, { ok: false, reason: 'invalid_user_key', message: 'the user id is empty' });
    }
    if (this.closing !== undefined) {
      return this.segmentsFailed(who, { ok: false, reason: 'closed', message: 'the client is closed' });
    }
    // A datafile still on its way: give the fetch in progress its chance rather than answer "unknown" at once.
    if (this.holder.state.state === 'pending' && this.poller) await this.poller.fetchNow();
    const cfg = this.holder.state;
    if (cfg.state === 'pending') {
      const why = this.poller?.lastError ?? 'no configuration';
      return this.segmentsFailed(who, {
        ok: false,
        reason: 'config_pending',
        message: `ODP configuration unavailable: ${why}`,
      });
    }
    if (cfg.state === 'not_integrated') {
      return this.segmentsFailed(who, { ok: false, reason: 'not_integrated', message: cfg.reason });
    }
    const result = await this.segments.fetch(cfg, who.key, who.value, options);
    return result.ok ? result : this.segmentsFailed(who, result);
  }

  createUserContext(userId: string, attributes: Record<string, unknown> = {}): OdpUserContext {
    if (typeof userId !== 'string' || userId === '') {
      throw new TypeError(`odpkit: createUserContext needs a non-empty string user id (got ${describeValue(userId)})`);
    }
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
      throw new TypeError(
        `odpkit: createUserContext attributes must be a plain object (got ${describeValue(attributes)})`,
      );
    }
    return new OdpUserContext(userId, attributes, (who, options) => this.fetchQualifiedSegments(who, options));
  }

  private segmentsFailed(who: { key: string; value: string }, failure: SegmentsResult & { ok: false }): SegmentsResult {
    // An unknown user is an expected answer for new visitors, not a fault of the application or the server.
    const log = failure.reason === 'invalid_identifier' ? this.logger.warn : this.logger.error;
    log.call(this.logger, `segments fetch failed for ${who.key}=${who.value} (${failure.reason}): ${failure.message}`);
    return failure;
  }

  on(event: 'event', listener: OutcomeListener): void {
    if (event === 'event') this.ledger.on(listener);
  }

  off(event: 'event', listener: OutcomeListener): void {
    if (event === 'event') this.ledger.off(listener);
  }

  flush(options?: FlushOptions): Promise<DeliverySummary> {
    const timeout = this.timeoutOf('flush', options);
    const upTo = this.ledger.lastSeq;
    const closed = this.ledger.closeWindow();
    this.dispatcher.drainThrough(upTo);
    void this.settleHeldEvents('flush() could not wait any longer');
    if (timeout === undefined) return closed.summary;
    // Stopping the wait changes nothing for the events: they keep going and are counted when they settle.
    const timer = unrefTimeout(
      () => this.ledger.expire(closed, `still being delivered when flush() stopped waiting after ${timeout} ms`),
      timeout,
    );
    return closed.summary.finally(() => clearTimeout(timer));
  }

  close(options?: FlushOptions): Promise<DeliverySummary> {
    this.closing ??= (async () => {
      const timeout = this.timeoutOf('close', options);
      const upTo = this.ledger.lastSeq;
      const closed = this.ledger.closeWindow();
      this.dispatcher.drainThrough(upTo);
      void this.settleHeldEvents('close() could not wait any longer');
      // Ref'd: an application awaiting close() gets its summary even if nothing else keeps the process alive.
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => {
              this.ledger.markTimedOut(closed);
              this.dispatcher.abandonAll(`close() timed out after ${timeout} ms`);
            }, timeout);
      const summary = await closed.summary;
      if (timer !== undefined) clearTimeout(timer);
      this.dispatcher.stop();
      this.poller?.stop();
      this.unregisterExit?.();
      this.unregisterExit = undefined;
      // Releasing the pool also ends any request still in flight after a timeout.
      if (this.ownsTransport) this.transport.close?.();
      return summary;
    })();
    return this.closing;
  }

  /** The timeout in ms (undefined: wait as long as it takes). Methods never throw, so a bad value is logged. */
  private timeoutOf(method: 'flush' | 'close', options: FlushOptions | undefined): number | undefined {
    const t = (options as { timeout?: unknown } | undefined)?.timeout;
    let ms = this.flushTimeout;
    if (t !== undefined) {
      if (typeof t === 'number' && t >= 0 && !Number.isNaN(t)) ms = t;
      else
        this.logger.error(
          `${method}({ timeout }) must be a number of ms ≥ 0 (got ${describeValue(t)}); using flushTimeout (${ms} ms)`,
        );
    }
    // setTimeout cannot wait longer than 2^31-1 ms (it would fire at once): beyond that, wait without a timer.
    return ms > MAX_TIMER_MS ? undefined : ms;
  }

  /**
   * Events held for a configuration that is still pending: give the datafile fetch in progress (bounded by
   * requestTimeout) its chance, then fail them with the fetch's error rather than wait forever.
   */
  private async settleHeldEvents(why: string): Promise<void> {
    if (this.holder.state.state !== 'pending' || !this.dispatcher.hasHeldEvents || !this.poller) return;
    await this.poller.fetchNow();
    if (this.holder.state.state === 'pending') {
      this.dispatcher.failHeld(
        'config_unavailable',
        `ODP configuration unavailable (${why}): ${this.poller.lastError}`,
      );
    }
  }

  /** Called by the process-exit hook (Node "beforeExit"); not part of the public interface. */
  onBeforeExit(): void {
    if (this.holder.state.state === 'pending' && this.dispatcher.hasHeldEvents) {
      // No fetch is in flight (it would have kept the process alive), so the configuration is not coming in time.
      this.dispatcher.failHeld(
        'config_unavailable',
        `ODP configuration unavailable (the process is exiting): ${this.poller?.lastError ?? 'no configuration'}`,
      );
    }
    if (!this.dispatcher.idle) this.dispatcher.onProcessExit(this.flushTimeout);
  }

  private accept(seq: number, built: ReturnType<typeof buildEvent>): void {
    const problem = built.ok ? this.dispatcher.enqueue(built.json, seq) : built.reason;
    if (problem !== undefined) this.reject(seq, 'invalid_event', problem);
  }

  /** Closed, or ODP not integrated: the event is refused before any work is done on it. */
  private refusedByState(seq: number): boolean {
    if (this.closing !== undefined) {
      this.reject(seq, 'client_closed', 'the client is closed: events sent after close() are not delivered', true);
      return true;
    }
    const cfg = this.holder.state;
    if (cfg.state === 'not_integrated') {
      this.reject(seq, 'not_integrated', cfg.reason, true);
      return true;
    }
    return false;
  }

  private reject(seq: number, code: OutcomeCode, reason: string, once = false): void {
    if (!once || !this.loggedOnce.has(code)) {
      if (once) this.loggedOnce.add(code);
      this.logger.error(`event rejected: ${reason}${once ? ' (logged once; every such event is reported)' : ''}`);
    }
    this.ledger.settle(seq, 'rejected', code, reason);
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function frozenCopy(state: OdpConfigState): OdpConfigState {
  if (state.state !== 'integrated') return Object.freeze({ ...state });
  return Object.freeze({ ...state, segmentsToCheck: Object.freeze([...state.segmentsToCheck]) });
}

function errorText(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : describeValue(err);
  } catch {
    return 'unknown error';
  }
}
