import type { DatafileSupport } from '../config/datafile-support.js';
import type { EventStore } from '../event/batch.js';
import type { ResolvedOptions } from '../options.js';
import type { Logger, OdpClientOptions, Transport } from '../types.js';

/**
 * What a client asks of its runtime. The core never checks which runtime it is in: each entry point (Node, browser,
 * worker/default) hands the core its own Platform, so code for one runtime never reaches another's bundle.
 */
export interface Platform {
  /** The transport used when the application passes none. */
  defaultTransport(o: ResolvedOptions): Transport;
  /** The datafile and datafileUrl options; absent where they are left out (the browser entry). */
  datafile?: DatafileSupport;
  /** Where accepted events wait to be batched. */
  createQueue(): EventStore;
  /**
   * Bytes of request bodies that may be in flight with `keepalive` at once (requests that outlive the page). 0 where
   * nothing outlives the caller (Node keeps the process alive instead).
   */
  keepaliveBudget: number;
  /** Hooks the client into the runtime's lifecycle (process exit, page hide). */
  attach(client: ShellTarget, options: OdpClientOptions, logger: Logger): Attachment;
}

export interface Attachment {
  /**
   * The client starts holding events (true) or holds none any more (false). Node keeps the client reachable from its
   * process-exit hook only in between, so a dropped idle client can be garbage-collected.
   */
  onBusy(busy: boolean): void;
  /** close(): undo the hooks. */
  detach(): void;
}

/** What a platform shell may do with a client. */
export interface ShellTarget {
  /** Node 'beforeExit': the event loop is empty with events still waiting. */
  onBeforeExit(): void;
  /**
   * The page is going away: starts sending queued events in requests that survive it (within the keepalive budget)
   * and returns the JSON of every event that may not arrive (still queued, or in a request that will not survive).
   * The client keeps those and goes on sending them if the page lives on.
   */
  hide(): string[];
  /** Takes back events kept from an earlier page (JSON as returned by hide()); they keep their idempotence_id. */
  restore(events: readonly string[]): void;
  /** The visitor id attached to events that carry no `vuid` of their own. */
  setVuid(vuid: string): void;
}

/** Where there is no localStorage a visitor id would change on every start, which is worse than none. */
export function warnNoVuid(options: OdpClientOptions, logger: Logger): void {
  if (options.vuid === true) logger.warn('the vuid option needs a browser with localStorage; this client has no vuid');
}
