import { normaliseIdentifier } from '../../ingest/identifiers.js';
import type { Identity } from '../store.js';

/**
 * The identity a profile look-up (`lookupCustomer(key, value)`) probes: normalised as at ingestion, so a look-up
 * finds what ingestion stored; null when the value cannot be an identifier at all.
 */
export function lookupIdentity(key: string, value: string): Identity | null {
  return normaliseIdentifier(key, value);
}

/** Identity rows, ordered by (type, value), grouped as type → values in that order. */
export function groupIdentifiers(rows: Iterable<Identity>, into = new Map<string, string[]>()): Map<string, string[]> {
  for (const { type, value } of rows) {
    const list = into.get(type);
    if (list) list.push(value);
    else into.set(type, [value]);
  }
  return into;
}

/** The same grouping as a plain record without a prototype, so a type named "__proto__" is an ordinary key. */
export function identifiersRecord(rows: Iterable<Identity>): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  for (const [type, values] of groupIdentifiers(rows)) out[type] = values;
  return out;
}
