import { WIRE_LIMITS } from '../limits.js';
import type { ResolvedOptions } from '../options.js';
import { ref, unref, unrefTimeout } from '../platform/timers.js';
import type { IntegratedConfig, Logger, OdpConfigState, Transport, TransportResponse } from '../types.js';
import { type Batch, type EventStore, eventJson, subBatch } from './batch.js';
import type { OutcomeLedger, SettleExtras } from './outcomes.js';
import { type AttemptResult, backoffDelay, classifyResponse, describeNetworkError } from './retry-policy.js';

type Handle = ReturnType<typeof setTimeout>;

export type DispatcherOptions = Pick<
  ResolvedOptions,
  | 'batchSize'
  | 'flushInterval'
  | 'requestTimeout'
  | 'maxRetries'
  | 'retryBaseDelay'
  | 'retryMaxDelay'
  | 'maxQueueSize'
  | 'maxQueueBytes'
  | 'maxInFlight'
  | 'maxBatchSize'
  | 'maxEventBytes'
>;

// A backlogged request grows past batchSize only while its body stays under this (servers cap request bodies; the
// odpkit server at 4 MiB, others lower).
const MAX_COALESCED_BODY_BYTES = 1_000_000;
// The ODP-compatible server accepts at most 1,000 events per request.
const MAX_EVENTS_PER_REQUEST = 1000;

/** One batch being delivered: in flight, or waiting for its next attempt. */
interface Delivery {
  batch: Batch;
  attempts: number;
  /** Why the last attempt failed, for the reason given if shutdown abandons the batch. */
  lastError: string | undefined;
  /** Settled by abandonAll(): whatever the transport answers later is ignored. */
  abandoned: boolean;
  /** The backoff timer while it waits, and how to end the wait early. */
  timer: Handle | undefined;
  wake: (() => void) | undefined;
  /** Whether the attempt in flight outlives the page (fetch keepalive). */
  keepalive: boolean;
}

/** Events whose outcome is decided by the dispatcher (the client settles rejections itself). */
type DispatchCode =
  | 'accepted'
  | 'http_error'
  | 'retries_exhausted'
  | 'not_integrated'
  | 'config_unavailable'
  | 'shutdown_timeout';

/**
 * Queue → batches → HTTP, with at most maxInFlight batches being delivered at once. A batch keeps its slot while it
 * waits to be retried, so a server outage never multiplies into more concurrent requests or connections.
 *
 * A partial batch is sent when its wait runs out (flushInterval after the first event entered an empty queue), when
 * flush()/close() or process exit asks for everything, or when it is followed by events for another destination
 * (after a configuration change, events already queued go to the old host with the old key at once).
 */
export class Dispatcher {
  private lanes = 0;
  /** Events with seq ≤ drainUntil may leave in a partial batch. */
  private drainUntil = 0;
  private timer: Handle | undefined;
  private readonly active = new Set<Delivery>();
  private exiting = false;
  /** At process exit: when it fires, whatever is still unsettled is reported and the process may end. */
  private exitDeadline: Handle | undefined;
  private exitTimeoutMs = 0;
  private current: IntegratedConfig | null = null;
  private overflowLogged = false;
  /** Accepted and not yet settled (queued, in flight or waiting to retry): what the bounds limit. */
  private pendingCount = 0;
  private pendingBytes = 0;
  /** Body bytes of keepalive requests in flight: browsers refuse keepalive beyond 64 KiB in total. */
  private keepaliveBytes = 0;

  constructor(
    /** Where accepted events wait: the platform's store. */
    private readonly queue: EventStore,
    private readonly o: DispatcherOptions,
    private readonly transport: Transport,
    private readonly ledger: OutcomeLedger,
    private readonly logger: Logger,
    /**
     * Told when the dispatcher starts holding events (true) and when it holds none any more (false). The client
     * stays reachable from the process-exit hook only in between, so an idle client that the application dropped
     * can be garbage-collected while one with events to deliver is not.
     */
    private readonly onBusy: (busy: boolean) => void = () => {},
    /** Body bytes that may be in flight with keepalive at once; 0 never asks for keepalive. */
    private readonly keepaliveBudget = 0,
  ) {}

  /**
   * Takes a serialised event, or drops it (reporting which bound) when the queue is full. Returns a rejection
   * reason when the event alone is over maxEventBytes (its exact UTF-8 size is only known once encoded).
   */
  enqueue(json: string, seq: number): string | undefined {
    const o = this.o;
    if (this.pendingCount >= o.maxQueueSize) {
      this.drop(seq, 'queue_full_count', `queue full: maxQueueSize (${o.maxQueueSize} events) reached`);
      return undefined;
    }
    const bytes = this.queue.stage(json);
    if (bytes > o.maxEventBytes) {
      return `event is ${bytes} bytes serialised, over the maxEventBytes limit (${o.maxEventBytes} bytes)`;
    }
    if (this.pendingBytes + bytes > o.maxQueueBytes) {
      this.drop(seq, 'queue_full_bytes', `queue full: maxQueueBytes (${o.maxQueueBytes} bytes) reached`);
      return undefined;
    }
    if (this.pendingCount++ === 0) this.onBusy(true);
    this.pendingBytes += bytes;
    this.queue.commit(seq, this.current);
    if (this.current === null) return undefined; // held until the configuration says where to send
    if (this.queue.length >= o.batchSize) {
      if (this.lanes < o.maxInFlight) this.pump();
    } else if (this.timer === undefined) {
      this.startTimer();
    }
    return undefined;
  }

  /** Everything accepted up to `seq` may leave now, even in partial batches. */
  drainThrough(seq: number): void {
    if (seq > this.drainUntil) this.drainUntil = seq;
    this.pump();
  }

  get hasHeldEvents(): boolean {
    return this.queue.length > 0 && this.queue.targetAt(0) === null;
  }

  get idle(): boolean {
    return this.pendingCount === 0;
  }

  onConfig(next: OdpConfigState): void {
    if (next.state === 'integrated') {
      this.current = next;
      this.queue.assignHeld(next);
    } else {
      this.current = null;
      this.failHeld('not_integrated', next.state === 'not_integrated' ? next.reason : 'ODP is not integrated');
    }
    // Events queued for the previous destination must not wait for a batch that will never fill, and events held
    // for a configuration have waited long enough: both leave now.
    this.drainUntil = this.ledger.lastSeq;
    this.pump();
  }

  /** Fails the events held for a configuration that will not come (not integrated, or gave up waiting). */
  failHeld(code: 'not_integrated' | 'config_unavailable', reason: string): void {
    const held = this.queue.removeHeld();
    if (held.length === 0) return;
    this.logger.error(`${held.length} held event(s) not sent: ${reason}`);
    for (const e of held) this.settle(e.seq, e.bytes, 'failed', code, reason, undefined, { attempts: 0 });
  }

  /**
   * The process is about to exit with work left (Node 'beforeExit'): send partial batches now and let pending retry
   * timers hold the process open until they have run. Requests in flight do not hold it (the Node transport
   * unrefs them), and retries are unbounded by default, so a deadline holds it open instead: it ends the wait once
   * nothing has been delivered for `timeoutMs` and reports every event still unsettled. A large backlog that keeps
   * draining is never cut short; a server that never answers cannot keep the process alive forever.
   */
  onProcessExit(timeoutMs: number): void {
    this.exiting = true;
    this.exitTimeoutMs = timeoutMs;
    for (const d of this.active) if (d.timer !== undefined) ref(d.timer);
    this.pump();
    if (this.pendingCount > 0 && this.exitDeadline === undefined) this.armExitDeadline();
  }

  private armExitDeadline(): void {
    if (this.exitDeadline !== undefined) clearTimeout(this.exitDeadline);
    const ms = this.exitTimeoutMs;
    this.exitDeadline = setTimeout(() => {
      this.exitDeadline = undefined;
      this.abandonAll(`the process was exiting and nothing was delivered for flushTimeout (${ms} ms)`);
    }, ms);
  }

  /**
   * Fails every event not yet settled (queued, held, in flight or waiting to retry) with shutdown_timeout: what
   * close() and process exit do when their time is up, so that no event is lost without a report. A request
   * still in flight may yet reach the server; its answer is then ignored.
   */
  abandonAll(why: string): void {
    const deliveries = [...this.active];
    this.active.clear();
    for (const d of deliveries) {
      d.abandoned = true;
      const waiting = d.timer !== undefined;
      if (waiting) clearTimeout(d.timer);
      d.wake?.();
      const last = d.lastError === undefined ? '' : `; last attempt: ${d.lastError}`;
      const reason = waiting
        ? `not delivered: ${why} while waiting to retry${last}`
        : `not delivered: ${why} while its request was in flight (the server may still have received it)${last}`;
      this.settleBatch(d.batch, 'failed', 'shutdown_timeout', reason, { attempts: d.attempts });
    }
    const queued = this.queue.removeAll();
    const reason = `not delivered: ${why} while it was still queued`;
    for (const e of queued)
      this.settle(e.seq, e.bytes, 'failed', 'shutdown_timeout', reason, undefined, { attempts: 0 });
    const count = deliveries.reduce((n, d) => n + d.batch.seqs.length, queued.length);
    if (count > 0) this.logger.error(`${count} event(s) not delivered: ${why}`);
  }

  /**
   * The page is going away. Queued events leave now in requests that fit what is left of the keepalive budget (so
   * they outlive the page); returns the JSON of every event that may not arrive: still queued (over the budget, or
   * held for a configuration), in a request without keepalive, or waiting to retry. Those stay here too, for if the
   * page lives on.
   */
  hide(): string[] {
    const q = this.queue;
    for (;;) {
      const target = q.targetAt(0);
      if (target === null || target === undefined) break;
      let n = 0;
      let bytes = 1;
      const room = this.keepaliveBudget - this.keepaliveBytes;
      while (n < MAX_EVENTS_PER_REQUEST && q.targetAt(n) === target && bytes + q.bytesAt(n) + 1 <= room) {
        bytes += q.bytesAt(n) + 1;
        n++;
      }
      if (n === 0) break;
      // Past maxInFlight on purpose: nothing else will get the chance to send these.
      this.launch(q.take(n), target);
    }
    const kept: string[] = [];
    for (const d of this.active) {
      if (!d.keepalive) for (let k = 0; k < d.batch.seqs.length; k++) kept.push(eventJson(d.batch, k));
    }
    for (let i = 0; i < q.length; i++) kept.push(q.jsonAt(i));
    return kept;
  }

  /** Stops the timers (close()). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.exitDeadline !== undefined) clearTimeout(this.exitDeadline);
    this.exitDeadline = undefined;
  }

  private startTimer(): void {
    this.timer = unrefTimeout(() => {
      this.timer = undefined;
      this.drainThrough(this.ledger.lastSeq);
    }, this.o.flushInterval);
  }

  private pump(): void {
    const { batchSize, maxBatchSize, maxInFlight } = this.o;
    const q = this.queue;
    while (this.lanes < maxInFlight) {
      if (q.length === 0) break;
      const target = q.targetAt(0);
      if (target === null || target === undefined) break;
      // A batch also stays under the server's request body limit: with large events, fewer than batchSize go.
      let n = 1;
      let size = q.bytesAt(0) + 2;
      while (n < batchSize && q.targetAt(n) === target && size + q.bytesAt(n) + 1 <= WIRE_LIMITS.maxBodyBytes) {
        size += q.bytesAt(n) + 1;
        n++;
      }
      // Partial only when nothing follows it: events behind it (another destination, or cut by the body limit) go.
      const full = n === batchSize || n < q.length;
      if (!full && !this.exiting && q.seqAt(n - 1) > this.drainUntil) break;
      // More events are already waiting for a free slot: carrying them in this request delays none of them and
      // saves a request each (the per-request cost dominates the SDK's CPU). Only whole events, under the byte cap.
      if (n === batchSize && n < maxBatchSize && q.length > n) {
        let bytes = size - 1; // the events and their separators, without the brackets
        while (n < maxBatchSize && q.targetAt(n) === target && bytes + q.bytesAt(n) + 1 <= MAX_COALESCED_BODY_BYTES) {
          bytes += q.bytesAt(n) + 1;
          n++;
        }
      }
      this.launch(q.take(n), target);
    }
    if (q.length > 0 && this.timer === undefined && q.targetAt(0) !== null) this.startTimer();
  }

  private launch(batch: Batch, target: IntegratedConfig): void {
    this.lanes++;
    this.deliver(batch, target)
      .catch((err) => {
        // deliver() handles every transport outcome itself; this only guards against a bug becoming an
        // unhandledRejection that would crash the application.
        this.logger.error('internal error while delivering a batch', err);
      })
      .then(() => {
        this.lanes--;
        this.pump();
      });
  }

  private async deliver(first: Batch, target: IntegratedConfig): Promise<void> {
    const o = this.o;
    const url = `${target.apiHost}/v3/events`;
    const headers = { 'content-type': 'application/json', 'x-api-key': target.apiKey };
    const d: Delivery = {
      batch: first,
      attempts: 0,
      lastError: undefined,
      abandoned: false,
      timer: undefined,
      wake: undefined,
      keepalive: false,
    };
    this.active.add(d);
    let retries = 0;
    for (;;) {
      const batch = d.batch;
      const attempts = ++d.attempts;
      let result: AttemptResult;
      const size = batch.body.length;
      // First attempts only: the budget is the page's, so other keepalive requests of the application may have used
      // it up, and the browser then refuses ours; a retry without keepalive still gets through.
      d.keepalive = attempts === 1 && this.keepaliveBudget > 0 && this.keepaliveBytes + size <= this.keepaliveBudget;
      if (d.keepalive) this.keepaliveBytes += size;
      try {
        const res: TransportResponse = await this.transport.request({
          method: 'POST',
          url,
          headers,
          body: batch.body,
          timeout: o.requestTimeout,
          unref: true,
          ...(d.keepalive ? { keepalive: true } : {}),
        });
        result = classifyResponse(res, batch.seqs.length);
      } catch (err) {
        result = { kind: 'retry', reason: describeNetworkError(err) };
      } finally {
        if (d.keepalive) this.keepaliveBytes -= size;
        d.keepalive = false;
      }
      // Shutdown already reported these events; a late answer changes nothing.
      if (d.abandoned) return;
      switch (result.kind) {
        case 'sent': {
          this.active.delete(d);
          // Progress: at exit, the deadline counts from the last delivery.
          if (this.exitDeadline !== undefined) this.armExitDeadline();
          const reason = `accepted by the server (HTTP ${result.status})`;
          this.settleBatch(batch, 'sent', 'accepted', reason, { httpStatus: result.status, attempts });
          return;
        }
        case 'fail': {
          this.active.delete(d);
          const reason = result.reason;
          this.logger.error(`${batch.seqs.length} event(s) failed: ${url} answered ${reason}`);
          this.settleBatch(batch, 'failed', 'http_error', reason, {
            httpStatus: result.status,
            attempts,
            detail: result.detail,
          });
          return;
        }
        case 'partial': {
          const rest: number[] = [];
          for (let k = 0; k < batch.seqs.length; k++) {
            const message = result.invalid.get(k);
            if (message === undefined) {
              rest.push(k);
              continue;
            }
            const reason = `HTTP 400: the server rejected this event: ${message}`;
            this.logger.error(`event failed: ${url} answered ${reason}`);
            const extras = { httpStatus: 400, attempts, detail: result.detail };
            this.settle(batch.seqs[k]!, batch.lens[k]!, 'failed', 'http_error', reason, this.jsonOf(batch, k), extras);
          }
          // The server rejects a whole batch for one bad event; the valid ones are sent again at once, not lost.
          if (rest.length === 0) {
            this.active.delete(d);
            return;
          }
          d.batch = subBatch(batch, rest);
          continue;
        }
        case 'retry': {
          d.lastError = result.reason;
          if (retries >= o.maxRetries) {
            this.active.delete(d);
            const reason = `retries exhausted after ${attempts} attempt(s); last: ${result.reason}`;
            this.logger.error(`${batch.seqs.length} event(s) failed: ${url}: ${reason}`);
            const extras = result.status === undefined ? { attempts } : { attempts, httpStatus: result.status };
            this.settleBatch(batch, 'failed', 'retries_exhausted', reason, extras);
            return;
          }
          retries++;
          const delay = Math.min(
            o.retryMaxDelay,
            result.retryAfterMs ?? backoffDelay(retries, o.retryBaseDelay, o.retryMaxDelay),
          );
          const of = Number.isFinite(o.maxRetries) ? ` of ${o.maxRetries}` : '';
          this.logger.warn(`${url}: ${result.reason}; retry ${retries}${of} in ${delay} ms`);
          await this.sleep(d, delay);
          if (d.abandoned) return;
        }
      }
    }
  }

  private sleep(d: Delivery, ms: number): Promise<void> {
    return new Promise((resolve) => {
      d.wake = () => {
        d.timer = undefined;
        d.wake = undefined;
        resolve();
      };
      d.timer = setTimeout(d.wake, ms);
      // A waiting retry must not keep a process alive by itself, until the process is exiting: then it must.
      if (!this.exiting) unref(d.timer);
    });
  }

  private drop(seq: number, code: 'queue_full_count' | 'queue_full_bytes', reason: string): void {
    if (!this.overflowLogged) {
      this.overflowLogged = true;
      this.logger.warn(`dropping events: ${reason} (further drops are counted in the summary, not logged)`);
    }
    this.ledger.settle(seq, 'dropped', code, reason);
  }

  private settleBatch(
    b: Batch,
    status: 'sent' | 'failed',
    code: DispatchCode,
    reason: string,
    extras: SettleExtras,
  ): void {
    for (let k = 0; k < b.seqs.length; k++)
      this.settle(b.seqs[k]!, b.lens[k]!, status, code, reason, this.jsonOf(b, k), extras);
  }

  /** The event's JSON, decoded only when someone listens for outcomes. */
  private jsonOf(b: Batch, k: number): string | undefined {
    return this.ledger.hasListeners ? eventJson(b, k) : undefined;
  }

  private settle(
    seq: number,
    bytes: number,
    status: 'sent' | 'failed',
    code: DispatchCode,
    reason: string,
    json: string | undefined,
    extras: SettleExtras,
  ): void {
    this.pendingCount--;
    this.pendingBytes -= bytes;
    this.ledger.settle(seq, status, code, reason, json, extras);
    if (this.pendingCount === 0) {
      this.overflowLogged = false;
      if (this.exitDeadline !== undefined) clearTimeout(this.exitDeadline);
      this.exitDeadline = undefined;
      this.onBusy(false);
    }
  }
}
