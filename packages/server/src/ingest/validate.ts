import { WIRE_LIMITS } from '@odpkit/sdk/limits';
import type { PreparedEvent } from '../store/store.js';
import { extractIdentities } from './identifiers.js';

/**
 * Event validation. One bad event rejects the whole batch, so the client gets every problem at once: one
 * message per invalid event, by index. Validation never recurses into values, so deeply nested input costs nothing
 * beyond JSON.parse, and it never copies parsed objects with [[Set]] semantics, so `__proto__` keys stay plain data.
 */

export interface Invalid {
  event: number;
  message: string;
}

export const MAX_NAME_LENGTH = WIRE_LIMITS.maxNameLength;
export const MAX_IDEMPOTENCE_ID_LENGTH = WIRE_LIMITS.maxIdempotenceIdLength;
export const MAX_KEY_LENGTH = WIRE_LIMITS.maxIdentifierKeyLength;
export const MAX_IDENTIFIERS = WIRE_LIMITS.maxIdentifiersPerEvent;
export const MAX_EVENT_BYTES = WIRE_LIMITS.maxEventBytes;

export type ValidationResult = { ok: true; events: PreparedEvent[] } | { ok: false; invalids: Invalid[] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys are echoed in messages; a hostile 100 kB key must not be echoed whole. */
function showKey(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

function checkName(ev: Record<string, unknown>, field: 'type' | 'action'): string | null {
  const v = ev[field];
  if (typeof v !== 'string' || v.trim() === '') return `'${field}' must be a non-empty string`;
  if (v.length > MAX_NAME_LENGTH) return `'${field}' must be at most ${MAX_NAME_LENGTH} characters`;
  return null;
}

function checkIdentifiers(v: unknown): string | null {
  if (!isPlainObject(v)) return "'identifiers' must be an object";
  const keys = Object.keys(v);
  if (keys.length === 0) return "'identifiers' must hold at least one identifier";
  // Checked before anything per key: a 100,000-key event is refused without walking its keys.
  if (keys.length > MAX_IDENTIFIERS) {
    return `'identifiers' holds ${keys.length} keys, more than the ${MAX_IDENTIFIERS} allowed per event`;
  }
  for (const key of keys) {
    if (key.trim() === '') return 'identifier keys must be non-empty';
    if (key.length > MAX_KEY_LENGTH)
      return `identifier key ${showKey(key)} is longer than ${MAX_KEY_LENGTH} characters`;
    if (typeof v[key] !== 'string') return `'identifiers.${showKey(key)}' must be a string`;
  }
  return null;
}

function checkData(v: unknown): string | null {
  if (!isPlainObject(v)) return "'data' must be an object";
  for (const key of Object.keys(v)) {
    const value = v[key];
    const t = typeof value;
    if (value !== null && t !== 'string' && t !== 'number' && t !== 'boolean') {
      return `'data.${showKey(key)}' must be a string, number, boolean or null`;
    }
    if (t === 'number') {
      const n = value as number;
      // JSON.parse turns 1e309 into Infinity, which JSON.stringify would then store as null.
      if (!Number.isFinite(n)) return `'data.${showKey(key)}' must be a finite number (it overflows a double)`;
      // Past 2^53 a double no longer holds every integer: the stored number would not be the one sent.
      if (Number.isInteger(n) && !Number.isSafeInteger(n)) {
        return `'data.${showKey(key)}' is an integer beyond 2^53 - 1 that cannot be stored exactly: send it as a string`;
      }
    }
  }
  const id = v['idempotence_id'];
  // null is "no idempotence id" (some clients serialise an unset field that way), as when the key is missing.
  if (
    id !== undefined &&
    id !== null &&
    (typeof id !== 'string' || id === '' || id.length > MAX_IDEMPOTENCE_ID_LENGTH)
  ) {
    return `'data.idempotence_id' must be a non-empty string of at most ${MAX_IDEMPOTENCE_ID_LENGTH} characters`;
  }
  return null;
}

/** The event's size as the SDK measures it: the stored fields serialised as JSON, in UTF-8 bytes. */
function checkSize(ev: Record<string, unknown>): string | null {
  const json = JSON.stringify({
    type: ev['type'],
    action: ev['action'],
    identifiers: ev['identifiers'],
    data: ev['data'],
  });
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > MAX_EVENT_BYTES
    ? `event is ${bytes} bytes serialised, over the limit of ${MAX_EVENT_BYTES} bytes`
    : null;
}

function checkEvent(ev: unknown): string | null {
  if (!isPlainObject(ev)) return 'event must be an object';
  return (
    checkName(ev, 'type') ??
    checkName(ev, 'action') ??
    checkIdentifiers(ev['identifiers']) ??
    // A missing `data` is an empty one: the official SDKs always send it, hand-written clients may not.
    (ev['data'] === undefined ? null : checkData(ev['data'])) ??
    checkSize(ev)
  );
}

/** Validates an already size-checked batch (an array; a single object is wrapped by the caller). */
export function validateBatch(batch: unknown[]): ValidationResult {
  const invalids: Invalid[] = [];
  for (let i = 0; i < batch.length; i++) {
    const message = checkEvent(batch[i]);
    if (message !== null) invalids.push({ event: i, message });
  }
  if (invalids.length > 0) return { ok: false, invalids };

  const events: PreparedEvent[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const ev = batch[i] as Record<string, unknown>;
    const identifiers = ev['identifiers'] as Record<string, string>;
    const data = (ev['data'] ?? {}) as Record<string, unknown>;
    const { identities, ignored } = extractIdentities(identifiers);
    const id = data['idempotence_id'];
    events[i] = {
      type: ev['type'] as string,
      action: ev['action'] as string,
      identifiersJson: JSON.stringify(identifiers),
      dataJson: JSON.stringify(data),
      identities,
      ignoredIdentifiers: ignored,
      idempotenceId: typeof id === 'string' ? id : null,
    };
  }
  return { ok: true, events };
}
