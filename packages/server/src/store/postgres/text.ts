import { uuidBytes } from '../common/dedup-key.js';

/**
 * PostgreSQL `text` cannot hold U+0000, while JSON (and so an event) can carry it in an identifier, a type or an
 * action; SQLite stores it. Rather than fail a whole group commit on one such string, the few values that contain
 * U+0000 are stored in an escaped form that no ordinary value can take:
 *   encode(v) = v                                   when v has no U+0000 and does not start with U+0001
 *   encode(v) = U+0001 + v with U+0001→U+0001U+0001 and U+0000→U+0001 '0'   otherwise
 * The mapping is injective, so the unique key on identities still means "same value".
 *
 * Lone UTF-16 surrogates are replaced by U+FFFD first: that is what the UTF-8 wire encoding does anyway (and what
 * better-sqlite3 does), so two values that differ only in lone surrogates are one identity in both stores; doing it
 * before the in-memory identity snapshot keeps the snapshot's idea of "same value" equal to the database's.
 */

const ESC = '\u0001';
const SURROGATE = /[\ud800-\udfff]/;

/** The value as the database will see it after UTF-8 encoding. */
export function wellFormed(v: string): string {
  return SURROGATE.test(v) ? Buffer.from(v, 'utf8').toString('utf8') : v;
}

export function encodeText(v: string): string {
  const w = wellFormed(v);
  if (!w.includes('\u0000') && !w.startsWith(ESC)) return w;
  return ESC + w.replaceAll(ESC, ESC + ESC).replaceAll('\u0000', `${ESC}0`);
}

export function decodeText(v: string): string {
  if (!v.startsWith(ESC)) return v;
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i];
    if (c === ESC) {
      out += v[i + 1] === '0' ? '\u0000' : ESC;
      i++;
    } else out += c;
  }
  return out;
}

/**
 * The dedup key as bytea: a tag byte, then a UUID's 16 bytes or any other id's UTF-8 bytes. The tag keeps the two
 * forms from ever colliding.
 */
export function dedupKey(idempotenceId: string): Buffer {
  const uuid = uuidBytes(idempotenceId);
  if (uuid !== null) return Buffer.concat([Buffer.of(1), uuid]);
  return Buffer.concat([Buffer.of(0), Buffer.from(idempotenceId, 'utf8')]);
}
