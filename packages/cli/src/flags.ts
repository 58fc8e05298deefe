import { UsageError } from './usage-error.js';

/**
 * Checks of flag values that commander leaves as strings. Each refuses a bad value with a UsageError naming the flag
 * and the accepted form, before anything is started or sent.
 */

/** A TCP port: decimal digits only (so `0x50` or `1e3` is not silently read as 80 or 1000), 0–65535; 0 = a free port. */
export function parsePort(raw: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port <= 65535)) {
    throw new UsageError(`--port must be a decimal integer from 0 to 65535, 0 picking a free port (got "${raw}")`);
  }
  return port;
}

/** The address `serve` listens on: a host name or IP, not a URL. */
export function parseListenHost(raw: string): string {
  if (raw === '' || raw.includes('/')) {
    throw new UsageError(`--host for serve is an address to listen on, such as 127.0.0.1 or 0.0.0.0 (got "${raw}")`);
  }
  return raw;
}

/** The server a client command talks to, without trailing slashes. */
export function parseServerUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`--host must be an http(s) URL such as http://127.0.0.1:8080 (got "${raw}")`);
  }
  return raw.replace(/\/+$/, '');
}

export function parseTimeout(raw: string): number {
  const ms = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(ms > 0)) throw new UsageError(`--timeout must be a positive number of milliseconds (got "${raw}")`);
  return ms;
}

const DB_FORMS = 'a SQLite file path (e.g. ./data/odpkit.db), :memory:, or a postgres:// (postgresql://) URL';

/**
 * `--db`: a SQLite file path, `:memory:`, or a PostgreSQL URL. Anything else written as `scheme://` is refused rather
 * than taken for a SQLite file of that name. URL schemes are case-insensitive, so `POSTGRES://` is written in
 * lower case before the server sees it. The refusal names only the scheme, so a password in the URL is not echoed.
 */
export function parseDb(raw: string): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } {
  if (raw === '') throw new UsageError(`--db must be ${DB_FORMS} (got an empty value)`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1];
  if (scheme === undefined) return { kind: 'sqlite', path: raw };
  const lower = scheme.toLowerCase();
  if (lower === 'postgres' || lower === 'postgresql') {
    return { kind: 'postgres', url: lower + raw.slice(scheme.length) };
  }
  throw new UsageError(`--db does not support ${scheme}:// URLs; give ${DB_FORMS}`);
}

/** pino's levels; `silent` turns the server's logs off altogether. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(raw: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === raw);
  if (level === undefined) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got "${raw}")`);
  return level;
}

/** Events per import request: the server takes at most 1,000. */
export function parseBatchSize(raw: string): number {
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= 1000)) throw new UsageError(`--batch must be an integer from 1 to 1000 (got "${raw}")`);
  return n;
}
