// Browsers: fetch with keepalive, sending on page hide, unsent events kept for the next page, the visitor id.
import { browserPlatform } from './browser/platform.js';
import { clientFactory } from './client.js';

export * from './api.js';

/** Creates a client. Throws OdpConfigError at once for options that cannot work. */
export const createOdpClient = clientFactory(browserPlatform);
