// Statistics and number formatting of every benchmark's tables.

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The p-quantile (0 ≤ p ≤ 1) of an ascending array, nearest rank: the value at or below which a share p lies. */
export function quantileSorted(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Percentiles over every sample of every rep taken together (not the median of each rep's percentile): a rep with a
 * slow tail weighs by its number of requests, as it would for the clients that waited.
 */
export function pooledPercentiles(samplesPerRep, ps = [0.5, 0.9, 0.99]) {
  let n = 0;
  for (const s of samplesPerRep) n += s.length;
  const all = new Float64Array(n);
  let at = 0;
  for (const s of samplesPerRep) {
    all.set(s, at);
    at += s.length;
  }
  all.sort();
  const out = { count: n, max: n ? all[n - 1] : Number.NaN };
  for (const p of ps) out[`p${Math.round(p * 1000) / 10}`] = quantileSorted(all, p);
  return out;
}

export function fmt(n) {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 100) return String(Math.round(n));
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Over the successful reps: "median (min–max)" of a key (or just the value with one rep). */
export function stat(reps, key) {
  const v = reps.filter((r) => !r.failed).map((r) => (typeof key === 'function' ? key(r) : r[key]));
  const m = median(v);
  const finite = v.filter(Number.isFinite);
  if (finite.length <= 1) return { m, text: fmt(m) };
  return { m, text: `${fmt(m)} (${fmt(Math.min(...finite))}–${fmt(Math.max(...finite))})` };
}

export const sumOf = (reps, key) => reps.reduce((n, r) => n + (r.failed ? 0 : (r[key] ?? 0)), 0);

export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);
export const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
