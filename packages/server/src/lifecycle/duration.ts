/** A retention such as `400d`, `12h`, `30m` or `90s`, in ms; null when it is not one (or is zero). */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,6})(d|h|m|s)$/.exec(text.trim());
  if (m === null) return null;
  const n = Number(m[1]);
  if (n === 0) return null;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 }[m[2] as 'd' | 'h' | 'm' | 's'];
  return n * unit;
}
