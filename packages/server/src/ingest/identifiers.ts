import { WIRE_LIMITS } from '@odpkit/sdk/limits';
import type { Identity } from '../store/store.js';

/**
 * Identifier normalisation and the placeholder deny-list (DESIGN §3). Placeholder ids such as "undefined" or "0" are
 * what glued thousands of users together in PostHog#5527 and in Segment's QA-id incident, so they never become
 * identities; the event still keeps them verbatim in its stored identifiers.
 */

export const MAX_IDENTIFIER_LENGTH = WIRE_LIMITS.maxIdentifierValueLength;

/** Compared after trimming, lower-casing and stripping one pair of surrounding quotes. */
const DENY = new Set([
  '',
  'undefined',
  'null',
  'none',
  'nil',
  'nan',
  '0',
  '-1',
  'anonymous',
  'guest',
  '[object object]',
  'true',
  'false',
  'distinct_id',
  'distinctid',
  'id',
  'not_authenticated',
  'email',
  'unknown',
]);

/** Segment's recommended blocked pattern: only zeros and dashes (e.g. an all-zero UUID). */
const ZEROS_AND_DASHES = /^[0-]+$/;

/** `vuid` is the only low-confidence type: a shared device must never bridge two people. */
export const LOW_CONFIDENCE_TYPES: ReadonlySet<string> = new Set(['vuid']);

export function isHighConfidence(type: string): boolean {
  return !LOW_CONFIDENCE_TYPES.has(type);
}

/** Key normalisation shared by ingestion and look-ups: trimmed, lower-cased, `fs-user-id` spelled `fs_user_id`. */
export function normaliseKey(key: string): string {
  const k = key.trim().toLowerCase();
  return k === 'fs-user-id' ? 'fs_user_id' : k;
}

function stripQuotes(v: string): string {
  if (v.length >= 2) {
    const first = v[0];
    const last = v[v.length - 1];
    if ((first === '"' || first === "'") && first === last) return v.slice(1, -1).trim();
  }
  return v;
}

export function isDenied(value: string): boolean {
  const v = stripQuotes(value.trim()).toLowerCase();
  return DENY.has(v) || ZEROS_AND_DASHES.test(v);
}

/** Normalises one value for its (already normalised) type; null when the value must be ignored. */
export function normaliseValue(type: string, value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.length > MAX_IDENTIFIER_LENGTH || isDenied(trimmed)) return null;
  return type === 'email' ? trimmed.toLowerCase() : trimmed;
}

/** The usable identities of an event and how many of its identifiers were ignored. */
export function extractIdentities(identifiers: Record<string, string>): { identities: Identity[]; ignored: number } {
  const identities: Identity[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  for (const rawKey of Object.keys(identifiers)) {
    const type = normaliseKey(rawKey);
    const value = type === '' ? null : normaliseValue(type, identifiers[rawKey] as string);
    if (value === null) {
      ignored++;
      continue;
    }
    // "Email" and "email" with the same value on one event are one identity, not two.
    const dedupKey = `${type}\u0000${value}`;
    if (seen.has(dedupKey)) continue;
    seen.add(dedupKey);
    identities.push({ type, value });
  }
  return { identities, ignored };
}
