import { WIRE_LIMITS } from '@odpkit/sdk/limits';

/**
 * JSON parsing for request bodies, bounded before the expensive step. JSON.parse spends time in proportion to the
 * nesting it builds (4 KB of gzip can hold two million brackets, a second of main-thread CPU), so a linear scan first
 * refuses a body nested deeper than WIRE_LIMITS.maxJsonDepth, stopping at the first bracket past the limit.
 * JSON.parse itself keeps `__proto__` and `constructor` as plain own properties (it never assigns prototypes), so
 * they stay data and pollute nothing.
 */

export const MAX_JSON_DEPTH = WIRE_LIMITS.maxJsonDepth;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * True when arrays and objects nest deeper than `max` anywhere in `bytes` (UTF-8 JSON text). Brackets inside strings
 * do not count; multi-byte UTF-8 never contains these ASCII bytes, so scanning bytes is exact.
 */
export function nestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses UTF-8 JSON bytes; the message on failure says what is wrong without quoting the input. */
export function parseJsonBytes(bytes: Uint8Array): JsonResult {
  if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) {
    return { ok: false, message: `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, message: 'the body is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: false, message: 'the body is empty' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    // V8's message quotes a slice of the input; only the kind of error and its position are kept.
    const v8 = (err as Error).message;
    const position = /position (\d+)/.exec(v8)?.[1];
    const what =
      position !== undefined
        ? `syntax error at character ${position}`
        : /end of JSON/i.test(v8)
          ? 'it ends in the middle of a value'
          : 'unexpected token';
    return { ok: false, message: `the body is not valid JSON: ${what}` };
  }
}
