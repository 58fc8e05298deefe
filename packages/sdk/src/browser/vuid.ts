import { uuidV4 } from '../platform/uuid.js';
import { readItem, writeItem } from './storage.js';

/** The official JS SDK's key and encoding (a JSON string), so both SDKs on one site see the same visitor. */
export const VUID_STORAGE_KEY = 'optimizely-vuid';
const PREFIX = 'vuid_';
const LENGTH = 32;

/** `vuid_` and the first 27 hex digits of a UUID v4 without dashes, lower-case: 32 characters. */
export function newVuid(): string {
  return (PREFIX + uuidV4().replace(/-/g, '').toLowerCase()).slice(0, LENGTH);
}

/** The official SDK's test: anything starting with `vuid_` and longer than the prefix. */
export function isVuid(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(PREFIX) && v.length > PREFIX.length;
}

/** The stored visitor id, or a new one saved for the next page (a missing or malformed one is replaced). */
export function loadOrCreateVuid(store: Storage): string {
  const raw = readItem(store, VUID_STORAGE_KEY);
  if (raw !== null) {
    try {
      const stored: unknown = JSON.parse(raw);
      if (isVuid(stored)) return stored;
    } catch {
      // Not JSON: written by something else under our key; replaced below.
    }
  }
  const vuid = newVuid();
  writeItem(store, VUID_STORAGE_KEY, JSON.stringify(vuid));
  return vuid;
}
