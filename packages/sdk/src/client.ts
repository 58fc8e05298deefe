import { ConfigHolder } from './config/config-holder.js';
import type { ConfigSource } from './config/datafile-support.js';
import { buildEvent, eachEntry, looksLikeKeyValues, readIdentifiers } from './event/build-event.js';
import { describeValue } from './event/describe.js';
import { Dispatcher } from './event/dispatcher.js';
import { OutcomeLedger } from './event/outcomes.js';
import { setOwn } from './event/own-key.js';
import { withVuid } from './event/vuid-identifier.js';
import { type ClientInternals, INTERNALS } from './internals.js';
import { createLogger } from './logger.js';
import { OdpConfigError, type ResolvedOptions, resolveOptions } from './options.js';
import type { Attachment, Platform, ShellTarget } from './platform/platform.js';
import { unrefTimeout } from './platform/timers.js';
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
  SendOdpEventInput,
  Transport,
} from './types.js';

export const IDENTIFIED_ACTION = 'identified';

export type CreateOdpClient = (options: OdpClientOptions) => OdpClient;

/**
 * createOdpClient for one runtime: each entry point binds the platform-neutral client to its own Platform (transport,
 * lifecycle, storage). The client throws OdpConfigError at once for options that cannot work (no or several
 * configuration sources, an invalid datafile, a bad number); after that, nothing it does throws.
 */
export function clientFactory(platform: Platform): CreateOdpClient {
  return (options) => new OdpClientImpl(resolveOptions(options), platform, options);
}

/**
 * The facade: it only routes. Building and validating is in event/build-event, bounds and delivery in
 * event/dispatcher, outcomes and summaries in event/outcomes, configuration in config/. Segments live in their own
 * entry point (`@odpkit/sdk/segments`) and reach the configuration, transport and logger through [INTERNALS].
 */
class OdpClientImpl implements OdpClient {
  private readonly logger: Logger;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly holder = new ConfigHolder();
  private readonly ledger: OutcomeLedger;
  private readonly dispatcher: Dispatcher;
  private readonly poller: ConfigSource | undefined;
  private readonly maxEventBytes: number;
  private readonly flushTimeout: number;
  /** The runtime's hooks (process exit on Node, page lifecycle in a browser). */
  private attachment: Attachment | undefined;
  private visitorId: string | undefined;
  readonly [INTERNALS]: ClientInternals;
  /** What `config` hands out: a frozen copy, so no caller can change the client's own state. */
  private publicConfig: OdpConfigState;
  private closing: Promise<DeliverySummary> | undefined;
  /** Refusals for a client-wide reason (closed, not integrated) are logged once each, not once per event. */
  private readonly loggedOnce = new Set<OutcomeCode>();

  constructor(o: ResolvedOptions, platform: Platform, raw: OdpClientOptions) {
    this.logger = createLogger(o.logger, o.logLevel);
    this.ownsTransport = o.transport === undefined;
    this.transport = o.transport ?? platform.defaultTransport(o);
    this.maxEventBytes = o.maxEventBytes;
    this.flushTimeout = o.flushTimeout;
    this.publicConfig = this.holder.state;
    this.ledger = new OutcomeLedger(this.logger);
    this.dispatcher = new Dispatcher(
      platform.createQueue(),
      o,
      this.transport,
      this.ledger,
      this.logger,
      (busy) => this.attachment?.onBusy(busy),
      platform.keepaliveBudget,
    );
    this.holder.subscribe((next) => {
      this.publicConfig = frozenCopy(next);
      this.loggedOnce.delete('not_integrated');
      this.dispatcher.onConfig(next);
    });

    const src = o.source;
    if (src.kind === 'direct') {
      this.holder.set(src.config);
    } else {
      const datafile = platform.datafile;
      if (datafile === undefined) {
        throw new OdpConfigError(
          `odpkit: the browser entry has no ${src.kind} option (it keeps the datafile code out of pages); pass odp: odpConfigFromDatafile(datafile) instead`,
        );
      }
      if (src.kind === 'datafile') this.holder.set(datafile.read(src.datafile));
      else {
        this.poller = datafile.poll({
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
    this[INTERNALS] = this.internals(o);
    const shell: ShellTarget = {
      onBeforeExit: () => this.onBeforeExit(),
      hide: () => this.dispatcher.hide(),
      restore: (events) => this.restore(events),
      setVuid: (vuid) => {
        this.visitorId = vuid;
      },
    };
    this.attachment = platform.attach(shell, raw, this.logger);
    // Events restored while attaching made the client busy before the attachment could hear it.
    if (!this.dispatcher.idle) this.attachment.onBusy(true);
  }

  get config(): OdpConfigState {
    return this.publicConfig;
  }

  get vuid(): string | undefined {
    return this.visitorId;
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
        built = buildEvent(fields[0], withVuid(fields[1], this.visitorId), fields[2], fields[3], this.maxEventBytes);
      } else {
        built = buildEvent(first, withVuid(identifiers, this.visitorId), type, data, this.maxEventBytes);
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
      // The visitor id comes first, as the official SDK sends it: logging in links the anonymous visitor to the user.
      const given: Record<string, unknown> = {};
      if (this.visitorId !== undefined) given.vuid = this.visitorId;
      if (!looksLikeKeyValues(identifiers)) {
        this.reject(
          seq,
          'invalid_event',
          `identifiers must be a plain object or a Map (got ${describeValue(identifiers)})`,
        );
        return;
      }
      const unusable = eachEntry(identifiers, (k, v) => {
        if (v === null || v === undefined || v === '') return undefined;
        if (typeof k !== 'string') return `identifiers has a key that is not a string (${describeValue(k)})`;
        setOwn(given, k, v);
        return undefined;
      });
      if (unusable !== undefined) {
        this.reject(seq, 'invalid_event', `identifyUser: ${unusable}`);
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
      this.attachment?.detach();
      this.attachment = undefined;
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

  private internals(o: ResolvedOptions): ClientInternals {
    const self = this;
    return {
      options: o,
      transport: this.transport,
      logger: this.logger,
      get config() {
        return self.holder.state;
      },
      get closed() {
        return self.closing !== undefined;
      },
      get vuid() {
        return self.visitorId;
      },
      onConfig: (listener) => this.holder.subscribe(listener),
      settleConfig: async () => {
        if (this.holder.state.state === 'pending' && this.poller) await this.poller.fetchNow();
      },
      get configError() {
        return self.poller?.lastError ?? 'no configuration';
      },
    };
  }

  /** Events kept by an earlier page: queued again as they were built, so they keep their idempotence_id. */
  private restore(events: readonly string[]): void {
    for (const json of events) {
      const seq = this.ledger.begin();
      if (this.refusedByState(seq)) continue;
      const problem = this.dispatcher.enqueue(json, seq);
      if (problem !== undefined) this.reject(seq, 'invalid_event', problem);
    }
  }

  /** Node "beforeExit", through the platform's exit hook. */
  private onBeforeExit(): void {
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
