import type { Transport } from '../types.js';
import { createFetchTransport } from './fetch-transport.js';
import { createNodeTransport } from './node-transport.js';

/** Node (and Bun, whose node:http is native) gets node:http with keep-alive; every other runtime gets fetch. */
export function defaultTransport(maxInFlight: number): Transport {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  if (typeof proc?.versions?.node === 'string' && !isDeno) return createNodeTransport({ maxSockets: maxInFlight });
  return createFetchTransport();
}
