// Workers, edge runtimes, and any runtime no other condition matches: fetch, no lifecycle hooks.
import { clientFactory } from './client.js';
import { fetchPlatform } from './platform/fetch-platform.js';

export * from './api.js';

/** Creates a client. Throws OdpConfigError at once for options that cannot work. */
export const createOdpClient = clientFactory(fetchPlatform);
