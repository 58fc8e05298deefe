import { createArrayQueue } from '../event/array-queue.js';
import { createFetchTransport } from '../platform/fetch-transport.js';
import type { Platform } from '../platform/platform.js';
import { attachPageLifecycle } from './lifecycle.js';
import { PendingEvents } from './pending-events.js';
import { localStore } from './storage.js';
import { loadOrCreateVuid } from './vuid.js';

/** Browsers allow 64 KiB of keepalive request bodies in flight per page; beyond that fetch refuses. */
export const KEEPALIVE_BUDGET = 64 * 1024;

/** Browsers: fetch (keepalive within the budget), page lifecycle, events kept in localStorage, the visitor id. */
export const browserPlatform: Platform = {
  defaultTransport: () => createFetchTransport(),
  createQueue: createArrayQueue,
  keepaliveBudget: KEEPALIVE_BUDGET,
  attach(client, options, logger) {
    const store = localStore();
    if (options.vuid === true) {
      if (store === undefined) logger.warn('the vuid option needs localStorage, which this page cannot use; no vuid');
      else client.setVuid(loadOrCreateVuid(store));
    }
    const pending = store === undefined ? undefined : new PendingEvents(store);
    if (pending !== undefined) client.restore(pending.takeAll());
    return { onBusy: () => {}, detach: attachPageLifecycle(client, pending, logger) };
  },
};
