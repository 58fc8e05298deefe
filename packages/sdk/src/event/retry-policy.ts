import type { TransportResponse } from '../types.js';

export type AttemptResult =
  | { kind: 'sent'; status: number }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'fail'; reason: string; status: number; detail: unknown }
  /** A 400 that names the offending events: only those failed; the rest can be sent again at once. */
  | { kind: 'partial'; status: number; invalid: Map<number, string>; detail: unknown };

/** 408, 429 and 5xx are worth another try; every other 4xx will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function classifyResponse(res: TransportResponse, batchLength: number, now = Date.now()): AttemptResult {
  const { status } = res;
  if (status >= 200 && status < 300) return { kind: 'sent', status };
  if (isRetryableStatus(status)) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now);
    return {
      kind: 'retry',
      status,
      reason: `HTTP ${status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const detail = parseDetail(res.body);
  if (status === 400) {
    const invalid = invalidEvents(detail, batchLength);
    if (invalid !== undefined) return { kind: 'partial', status, invalid, detail };
  }
  return { kind: 'fail', status, detail, reason: `HTTP ${status}${summariseDetail(detail)}` };
}

/** The `detail` member of a problem+json body when there is one, else the parsed body, else the raw text. */
export function parseDetail(body: string): unknown {
  if (body === '') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'detail' in parsed) {
      return (parsed as { detail: unknown }).detail;
    }
    return parsed;
  } catch {
    return body.length > 1000 ? `${body.slice(0, 1000)}…` : body;
  }
}

function summariseDetail(detail: unknown): string {
  if (detail === undefined) return '';
  const message = (detail as { message?: unknown } | null)?.message;
  // {"message": "..."} (the odpkit server's shape) reads better as its text; anything else is shown as JSON.
  const text = typeof detail === 'string' ? detail : typeof message === 'string' ? message : JSON.stringify(detail);
  return `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

/** `{"invalids":[{"event":<index>,"message":…}]}` → index → message, if every index is inside the batch. */
function invalidEvents(detail: unknown, batchLength: number): Map<number, string> | undefined {
  const list = (detail as { invalids?: unknown } | null)?.invalids;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out = new Map<number, string>();
  for (const item of list) {
    const i = (item as { event?: unknown })?.event;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= batchLength) return undefined;
    const m = (item as { message?: unknown }).message;
    out.set(i, typeof m === 'string' ? m : JSON.stringify(m));
  }
  return out;
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Exponential backoff with "equal jitter": half the doubled delay fixed, half random. Never zero (unlike full
 * jitter), so a fleet that failed together does not retry together.
 */
export function backoffDelay(retry: number, base: number, max: number, random = Math.random): number {
  const exp = Math.min(max, base * 2 ** (retry - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * How many retries it takes, at the shortest waits jitter can draw, before `outageMs` has passed: a retry policy
 * rides out an outage of that length only if it allows at least this many (the time spent in requests is ignored,
 * which only makes the count larger than needed). Infinity when the waits are all zero.
 */
export function retriesToOutlast(outageMs: number, base: number, max: number): number {
  let elapsed = 0;
  for (let retry = 1; retry <= 10_000; retry++) {
    elapsed += Math.min(max, base * 2 ** (retry - 1)) / 2;
    if (elapsed >= outageMs) return retry;
  }
  return Number.POSITIVE_INFINITY;
}

/** Text for a network-level failure: the error code when there is one (ECONNREFUSED, ETIMEDOUT, …). */
export function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string } | null;
  if (e?.name === 'TimeoutError') return e.message ?? 'request timed out';
  if (e?.code) return `network error ${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}`;
  return `network error (${e?.message ?? String(err)})`;
}
