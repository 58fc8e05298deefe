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

/** A mistake in how the command was called: printed without a stack trace, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
