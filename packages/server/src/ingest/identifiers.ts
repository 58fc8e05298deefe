import { WIRE_LIMITS } from '@odpkit/sdk/limits';
import type { Identity } from '../store/store.js';

/**
 * The one identifier normalisation of the server: ingestion, every customer look-up (GraphQL, admin, segments service)
 * and segment definitions all go through normaliseKey/normaliseValue, so a key or value written two ways is one
 * identity everywhere.
 *
 * Placeholder ids such as "undefined" or "0" are what glue thousands of unrelated users into one profile in analytics
 * tools, so they never become identities; the event still keeps them verbatim in its stored identifiers.
 */

export const MAX_IDENTIFIER_LENGTH = WIRE_LIMITS.maxIdentifierValueLength;

/** Compared after normalising, lower-casing and stripping one pair of surrounding quotes. */
const DENY = new Set([
  '',
  'undefined',
  '(undefined)',
  'null',
  '(null)',
  '<null>',
  'none',
  '(none)',
  'nil',
  '<nil>',
  'nan',
  'n/a',
  'na',
  '0',
  '-1',
  'anonymous',
  'guest',
  '[object object]',
  '{}',
  '[]',
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

/**
 * Unfilled templates: `{{email}}` (Handlebars, Liquid, Mustache) or `${userId}` anywhere in the value (a half-filled
 * `user-{{id}}` is as shared as a bare one), and `%email%` or `*|EMAIL|*` (mail merge tags) as the whole value.
 */
const TEMPLATE = /\{\{.*\}\}|\$\{.*\}|^%[^%\s]+%$|^\*\|.*\|\*$/s;

/**
 * Characters nobody can see, removed before any comparison so that `null\u200b` or `\ufeffnull` is still "null":
 * controls (Cc, including NUL, tab and newline) and format characters (Cf: zero-width space and joiners, the BOM,
 * the soft hyphen, bidi marks and isolates).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;

/**
 * A lone UTF-16 surrogate (only reachable through a JSON `\udc00` escape) is not text: SQLite would store it as given,
 * PostgreSQL as U+FFFD, and two different broken values would collapse into one there. Such a key or value is ignored
 * for stitching and never matches a look-up, the same way on both stores.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** `vuid` is the only low-confidence type: a shared device must never bridge two people. */
export const LOW_CONFIDENCE_TYPES: ReadonlySet<string> = new Set(['vuid']);

/** The type that names one person: a customer holds at most one value of it (a person may have several emails). */
export const PERSON_TYPE = 'fs_user_id';

export function isHighConfidence(type: string): boolean {
  return !LOW_CONFIDENCE_TYPES.has(type);
}

/** Without invisible characters, in NFKC (full-width `ｎｕｌｌ` is `null`), trimmed; null for a lone surrogate. */
function canonicalText(s: string): string | null {
  if (LONE_SURROGATE.test(s)) return null;
  return s.replace(INVISIBLE, '').normalize('NFKC').trim();
}

/**
 * The identity type of an identifier key: canonical text, lower-cased, `fs-user-id` spelled `fs_user_id`. The empty
 * string means "not a usable key" (blank, invisible only, or a lone surrogate).
 */
export function normaliseKey(key: string): string {
  const k = canonicalText(key)?.toLowerCase() ?? '';
  return k === 'fs-user-id' ? PERSON_TYPE : k;
}

function stripQuotes(v: string): string {
  if (v.length >= 2) {
    const first = v[0];
    const last = v[v.length - 1];
    if ((first === '"' || first === "'") && first === last) return v.slice(1, -1).trim();
  }
  return v;
}

/** Whether an already canonical value is a placeholder rather than an id. */
function isPlaceholder(canonical: string): boolean {
  const v = stripQuotes(canonical).toLowerCase();
  return DENY.has(v) || ZEROS_AND_DASHES.test(v) || TEMPLATE.test(v);
}

/** Whether a raw value is a placeholder (after the same normalisation as ingestion). */
export function isDenied(value: string): boolean {
  const v = canonicalText(value);
  return v === null || isPlaceholder(v);
}

/** Normalises one value for its (already normalised) type; null when the value must be ignored. */
export function normaliseValue(type: string, value: string): string | null {
  const v = canonicalText(value);
  if (v === null || v.length > MAX_IDENTIFIER_LENGTH || isPlaceholder(v)) return null;
  return type === 'email' ? v.toLowerCase() : v;
}

/** The identity an identifier `key: value` stands for, or null when it is ignored. Look-ups use this too. */
export function normaliseIdentifier(key: string, value: string): Identity | null {
  const type = normaliseKey(key);
  const v = type === '' ? null : normaliseValue(type, value);
  return v === null ? null : { type, value: v };
}

/** The usable identities of an event and how many of its identifiers were ignored. */
export function extractIdentities(identifiers: Record<string, string>): { identities: Identity[]; ignored: number } {
  const identities: Identity[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  for (const rawKey of Object.keys(identifiers)) {
    const id = normaliseIdentifier(rawKey, identifiers[rawKey] as string);
    if (id === null) {
      ignored++;
      continue;
    }
    // "Email" and "email" with the same value on one event are one identity, not two.
    const dedupKey = `${id.type}\u0000${id.value}`;
    if (seen.has(dedupKey)) continue;
    seen.add(dedupKey);
    identities.push(id);
  }
  return { identities, ignored };
}
