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
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

export type JsonScan = { tooDeep: true } | { tooDeep: false; topLevelItems: number | null };

/**
 * One pass over `bytes` (UTF-8 JSON text): whether arrays and objects nest deeper than `maxDepth` anywhere (stopping at
 * the first bracket past it), and, when the text is an array, how many items it holds (null for anything else), so a
 * batch over its item cap is refused without parsing it. Brackets and commas inside strings do not count; multi-byte
 * UTF-8 never contains these ASCII bytes, so scanning bytes is exact for valid JSON, and invalid JSON fails in
 * JSON.parse right after.
 */
export function scanJson(bytes: Uint8Array, maxDepth: number): JsonScan {
  let depth = 0;
  let inString = false;
  let topIsArray: boolean | null = null;
  let commas = 0;
  let empty = true;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (depth === 1 && c !== SPACE && c !== TAB && c !== LF && c !== CR && c !== CLOSE_ARRAY) empty = false;
    if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (depth === 0 && topIsArray === null) topIsArray = c === OPEN_ARRAY;
      if (++depth > maxDepth) return { tooDeep: true };
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    } else if (c === COMMA && depth === 1) {
      commas++;
    }
  }
  return { tooDeep: false, topLevelItems: topIsArray ? (empty ? 0 : commas + 1) : null };
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses UTF-8 JSON bytes; the message on failure says what is wrong without quoting the input. `maxItems` refuses a
 * top-level array holding more (413) before parsing it.
 */
export function parseJsonBytes(bytes: Uint8Array, maxItems?: { count: number; what: string }): JsonResult {
  const scan = scanJson(bytes, MAX_JSON_DEPTH);
  if (scan.tooDeep) {
    return {
      ok: false,
      status: 400,
      message: `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
    };
  }
  if (maxItems !== undefined && scan.topLevelItems !== null && scan.topLevelItems > maxItems.count) {
    return {
      ok: false,
      status: 413,
      message: `a batch holds at most ${maxItems.count} ${maxItems.what}; this one holds ${scan.topLevelItems}`,
    };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, status: 400, message: 'the body is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: false, status: 400, message: 'the body is empty' };
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
    return { ok: false, status: 400, message: `the body is not valid JSON: ${what}` };
  }
}
