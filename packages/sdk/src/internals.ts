import type { ResolvedOptions } from './options.js';
import type { Logger, OdpConfigState, Transport } from './types.js';

/**
 * How add-on entry points (`@odpkit/sdk/segments`) reach the client they extend. A registered symbol rather than a
 * module-level map: the CommonJS entries are separate files, each with its own copy of the modules they share.
 */
export const INTERNALS: unique symbol = Symbol.for('odpkit.client.internals') as never;

export interface ClientInternals {
  readonly options: ResolvedOptions;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly config: OdpConfigState;
  readonly closed: boolean;
  readonly vuid: string | undefined;
  /** Called with each new configuration; returns what unsubscribes. */
  onConfig(listener: (next: OdpConfigState) => void): () => void;
  /** Resolves once a configuration fetch in progress (datafileUrl) has finished; at once otherwise. */
  settleConfig(): Promise<void>;
  /** Why the configuration is not available, for a pending state. */
  readonly configError: string;
}
