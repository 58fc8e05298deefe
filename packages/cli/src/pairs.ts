import { UsageError } from './usage-error.js';

/**
 * `key=value` arguments, as used by `--id`, `--data` and `odpkit customer`.
 * Split at the first `=` so values may themselves contain `=` (base64, URLs).
 */
export function parsePair(raw: string, what: string): [string, string] {
  const at = raw.indexOf('=');
  if (at <= 0) throw new UsageError(`${what} "${raw}" must look like key=value`);
  return [raw.slice(0, at), raw.slice(at + 1)];
}

/**
 * Repeatable `key=value` flags into one map. An event's identifiers and data hold one value per key, so a key given
 * twice (also across flags, e.g. `--data` and `--data-string`) is refused instead of keeping only the last value.
 */
export function pairsToRecord<V>(
  groups: ReadonlyArray<{ flag: string; raws: readonly string[]; value: (raw: string) => V }>,
): Record<string, V> {
  const out: Record<string, V> = Object.create(null);
  const seenIn: Record<string, string> = Object.create(null);
  for (const { flag, raws, value } of groups) {
    for (const raw of raws) {
      const [k, v] = parsePair(raw, flag);
      const earlier = seenIn[k];
      if (earlier !== undefined) {
        const where = earlier === flag ? `${flag} ${k} is given twice` : `${k} is given by both ${earlier} and ${flag}`;
        throw new UsageError(`${where}; an event holds one value per key`);
      }
      seenIn[k] = flag;
      out[k] = value(v);
    }
  }
  return out;
}

/**
 * A `--data` value becomes a number, boolean or null when it is written exactly as JSON writes one
 * (`price=50`, `first=true`, `coupon=null`); anything else stays a string, so `zip=01234` (not valid JSON)
 * keeps its leading zero. `--data-string` forces a string.
 */
export function parseDataValue(value: string): string | number | boolean | null {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value === 'null') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return value;
}
