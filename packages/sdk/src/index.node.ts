// Node (and Bun, Deno): node:http/https keep-alive transport, delivery of what is left when the process exits.
import { clientFactory } from './client.js';
import { nodePlatform } from './platform/node.js';

export * from './api.js';
export { createNodeTransport } from './platform/node-transport.js';

/** Creates a client. Throws OdpConfigError at once for options that cannot work. */
export const createOdpClient = clientFactory(nodePlatform);
