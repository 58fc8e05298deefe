import { datafileSupport } from '../config/datafile-support.js';
import { EventQueue } from '../event/event-queue.js';
import { onProcessExit } from './exit-hook.js';
import { createNodeTransport } from './node-transport.js';
import { type Platform, warnNoVuid } from './platform.js';

/** Node (and Bun, Deno through their node: modules): node:http with keep-alive, delivery at process exit. */
export const nodePlatform: Platform = {
  defaultTransport: (o) => createNodeTransport({ maxSockets: o.maxInFlight }),
  datafile: datafileSupport,
  createQueue: () => new EventQueue(),
  keepaliveBudget: 0,
  attach(client, options, logger) {
    warnNoVuid(options, logger);
    let unregister: (() => void) | undefined;
    const off = () => {
      unregister?.();
      unregister = undefined;
    };
    return {
      onBusy: (busy) => {
        if (busy) unregister ??= onProcessExit(client);
        else off();
      },
      detach: off,
    };
  },
};
