import { datafileSupport } from '../config/datafile-support.js';
import { EventQueue } from '../event/event-queue.js';
import { createFetchTransport } from './fetch-transport.js';
import { type Platform, warnNoVuid } from './platform.js';

/** Workers, edge runtimes and anything else with fetch: no page to leave and no process to keep alive. */
export const fetchPlatform: Platform = {
  defaultTransport: () => createFetchTransport(),
  datafile: datafileSupport,
  createQueue: () => new EventQueue(),
  keepaliveBudget: 0,
  attach(_client, options, logger) {
    warnNoVuid(options, logger);
    return { onBusy: () => {}, detach: () => {} };
  },
};
