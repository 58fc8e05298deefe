import { OdpConfigError } from '../options.js';
import type { OdpConfigState } from '../types.js';
import { InvalidDatafileError, odpConfigFromDatafile } from './datafile.js';
import { DatafilePoller, type DatafilePollerOptions } from './datafile-poller.js';

/** A configuration that arrives over the network: what the client asks of the datafile poller. */
export interface ConfigSource {
  start(): void;
  stop(): void;
  /** The fetch in progress, or a new one. */
  fetchNow(): Promise<void>;
  /** Why the configuration is still unknown. */
  readonly lastError: string;
}

/**
 * The `datafile` and `datafileUrl` options. Entries hand it to the client through their Platform; the browser entry
 * leaves it out so a page does not carry the datafile parser and poller (a page passes `odp:
 * odpConfigFromDatafile(datafile)` instead, which costs the parser only where it is imported).
 */
export interface DatafileSupport {
  /** The static datafile's configuration; throws OdpConfigError for an unusable one. */
  read(datafile: object | string): OdpConfigState;
  poll(o: DatafilePollerOptions): ConfigSource;
}

export const datafileSupport: DatafileSupport = {
  read(datafile) {
    try {
      return odpConfigFromDatafile(datafile);
    } catch (err) {
      if (err instanceof InvalidDatafileError) throw new OdpConfigError(`odpkit: invalid datafile: ${err.message}`);
      throw err;
    }
  },
  poll: (o) => new DatafilePoller(o),
};
