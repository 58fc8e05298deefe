import { normaliseHost, normaliseHttpUrl } from './config/http-url.js';
import { nearestName } from './config/nearest-name.js';
import { WIRE_LIMITS } from './limits.js';
import type { DirectOdpConfig, Logger, LogLevel, OdpClientOptions, OdpConfigFromDatafile, Transport } from './types.js';

/** Thrown by createOdpClient for options that cannot work; a programming error is reported at once, not at send time. */
export class OdpConfigError extends Error {
  override name = 'OdpConfigError';
}

export interface ResolvedOptions {
  source:
    | { kind: 'datafile'; datafile: object | string }
    | { kind: 'datafileUrl'; url: string; pollInterval: number }
    | { kind: 'direct'; config: OdpConfigFromDatafile };
  batchSize: number;
  maxBatchSize: number;
  flushInterval: number;
  requestTimeout: number;
  maxRetries: number;
  retryBaseDelay: number;
  retryMaxDelay: number;
  maxQueueSize: number;
  maxQueueBytes: number;
  maxEventBytes: number;
  maxInFlight: number;
  flushTimeout: number;
  segmentsCacheSize: number;
  segmentsCacheTimeout: number;
  segmentsRequestTimeout: number;
  logger: Logger | undefined;
  logLevel: LogLevel;
  transport: Transport | undefined;
}

export const DEFAULTS = {
  datafilePollInterval: 300_000,
  batchSize: 10,
  maxBatchSize: 500,
  flushInterval: 1000,
  requestTimeout: 10_000,
  // Retries are bounded by the queue (maxQueueSize, maxQueueBytes), by flushTimeout at close() and at process exit,
  // not by a count: a count small enough to matter runs out within seconds of a server restart.
  maxRetries: Number.POSITIVE_INFINITY,
  retryBaseDelay: 200,
  // Each wait is capped, so once the server is back the events leave within this time (plus one request).
  retryMaxDelay: 10_000,
  flushTimeout: 10_000,
  // 100,000 typical events (~300 bytes each) sent in a tight loop must fit with room to spare.
  maxQueueSize: 250_000,
  maxQueueBytes: 64 * 1024 * 1024,
  maxEventBytes: WIRE_LIMITS.maxEventBytes,
  maxInFlight: 4,
  // The official SDKs' segment cache: 10,000 users for 10 minutes.
  segmentsCacheSize: 10_000,
  segmentsCacheTimeout: 600_000,
} as const;

const SERVER_MAX_EVENTS = WIRE_LIMITS.maxEventsPerRequest;

/** Every option name, so that a misspelt one is an error instead of being ignored (the compiler checks the list). */
const OPTION_NAMES: Record<keyof OdpClientOptions, true> = {
  datafile: true,
  datafileUrl: true,
  datafilePollInterval: true,
  odp: true,
  batchSize: true,
  maxBatchSize: true,
  flushInterval: true,
  requestTimeout: true,
  maxRetries: true,
  retryBaseDelay: true,
  retryMaxDelay: true,
  flushTimeout: true,
  maxQueueSize: true,
  maxQueueBytes: true,
  maxEventBytes: true,
  maxInFlight: true,
  segmentsCacheSize: true,
  segmentsCacheTimeout: true,
  segmentsRequestTimeout: true,
  logger: true,
  logLevel: true,
  transport: true,
  vuid: true,
};
// `state` as odpConfigFromDatafile returns it, so that its result can be passed as `odp`.
const ODP_NAMES: Record<keyof DirectOdpConfig | 'state', true> = {
  apiKey: true,
  apiHost: true,
  segmentsToCheck: true,
  state: true,
};

function rejectUnknownNames(where: string, given: object, known: Record<string, true>): void {
  const names = Object.keys(known);
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(known, name)) continue;
    const near = nearestName(name, names);
    throw new OdpConfigError(
      `odpkit: unknown option ${where}${name}${near === undefined ? ` (known: ${names.map((n) => where + n).join(', ')})` : `; did you mean ${where}${near}?`}`,
    );
  }
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error', 'silent']);

function num(
  opts: OdpClientOptions,
  name: keyof OdpClientOptions,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = opts[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new OdpConfigError(
      `odpkit: option ${name} must be a finite number between ${min} and ${max} (got ${String(v)})`,
    );
  }
  return v;
}

function int(opts: OdpClientOptions, name: keyof OdpClientOptions, fallback: number, min: number, max?: number) {
  const v = num(opts, name, fallback, min, max);
  if (!Number.isInteger(v)) throw new OdpConfigError(`odpkit: option ${name} must be an integer (got ${v})`);
  return v;
}

function httpUrl(name: string, v: unknown, normalise: (v: unknown) => string | undefined): string {
  const url = normalise(v);
  if (url === undefined) throw new OdpConfigError(`odpkit: ${name} must be an http(s) URL (got ${JSON.stringify(v)})`);
  return url;
}

/** maxRetries: a count, or Infinity (the default) for "until delivered or shut down". */
function retries(opts: OdpClientOptions): number {
  const v = opts.maxRetries;
  if (v === undefined || v === null || v === Number.POSITIVE_INFINITY) return DEFAULTS.maxRetries;
  return int(opts, 'maxRetries', 0, 0);
}

export function resolveOptions(opts: OdpClientOptions | undefined): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') {
    throw new OdpConfigError('odpkit: createOdpClient needs an options object with datafile, datafileUrl or odp');
  }
  rejectUnknownNames('', opts, OPTION_NAMES);
  const given = (['datafile', 'datafileUrl', 'odp'] as const).filter((k) => opts[k] !== undefined && opts[k] !== null);
  if (given.length !== 1) {
    throw new OdpConfigError(
      `odpkit: give exactly one configuration source of datafile, datafileUrl or odp (got ${given.length ? given.join(', ') : 'none'})`,
    );
  }
  let source: ResolvedOptions['source'];
  if (given[0] === 'datafile') {
    const d = opts.datafile;
    if (typeof d !== 'string' && (typeof d !== 'object' || d === null)) {
      throw new OdpConfigError('odpkit: datafile must be an object or a JSON string');
    }
    source = { kind: 'datafile', datafile: d as object | string };
  } else if (given[0] === 'datafileUrl') {
    source = {
      kind: 'datafileUrl',
      url: httpUrl('datafileUrl', opts.datafileUrl, normaliseHttpUrl),
      pollInterval: num(opts, 'datafilePollInterval', DEFAULTS.datafilePollInterval, 1),
    };
  } else {
    const o = opts.odp as unknown as Record<string, unknown>;
    if (typeof o === 'object' && o.state === 'not_integrated' && typeof o.reason === 'string') {
      source = { kind: 'direct', config: { state: 'not_integrated', reason: o.reason } };
    } else {
      if (typeof o !== 'object' || typeof o.apiKey !== 'string' || o.apiKey === '') {
        throw new OdpConfigError('odpkit: odp.apiKey must be a non-empty string');
      }
      rejectUnknownNames('odp.', o, ODP_NAMES);
      if (o.state !== undefined && o.state !== 'integrated') {
        throw new OdpConfigError(`odpkit: odp.state must be "integrated" or absent (got ${JSON.stringify(o.state)})`);
      }
      const seg = o.segmentsToCheck ?? [];
      if (!Array.isArray(seg) || seg.some((s) => typeof s !== 'string')) {
        throw new OdpConfigError('odpkit: odp.segmentsToCheck must be an array of strings');
      }
      source = {
        kind: 'direct',
        config: {
          state: 'integrated',
          apiKey: o.apiKey,
          apiHost: httpUrl('odp.apiHost', o.apiHost, normaliseHost),
          segmentsToCheck: [...new Set(seg as string[])],
        },
      };
    }
  }
  const flushInterval = num(opts, 'flushInterval', DEFAULTS.flushInterval, 0);
  const batchSize = flushInterval === 0 ? 1 : int(opts, 'batchSize', DEFAULTS.batchSize, 1, SERVER_MAX_EVENTS);
  const maxBatchSize =
    opts.maxBatchSize === undefined
      ? flushInterval === 0
        ? 1
        : Math.max(batchSize, DEFAULTS.maxBatchSize)
      : int(opts, 'maxBatchSize', DEFAULTS.maxBatchSize, batchSize, SERVER_MAX_EVENTS);
  const logLevel = opts.logLevel ?? 'warn';
  if (!LEVELS.has(logLevel)) throw new OdpConfigError(`odpkit: logLevel must be one of ${[...LEVELS].join(', ')}`);
  if (opts.vuid !== undefined && typeof opts.vuid !== 'boolean') {
    throw new OdpConfigError(`odpkit: option vuid must be true or false (got ${String(opts.vuid)})`);
  }
  const t = opts.transport;
  if (t !== undefined && (typeof t !== 'object' || t === null || typeof t.request !== 'function')) {
    throw new OdpConfigError('odpkit: transport must be an object with a request(req) method');
  }
  const l = opts.logger;
  if (l !== undefined && (typeof l !== 'object' || l === null || typeof l.error !== 'function')) {
    throw new OdpConfigError('odpkit: logger must have debug, info, warn and error methods');
  }
  return {
    source,
    batchSize,
    maxBatchSize,
    flushInterval,
    requestTimeout: num(opts, 'requestTimeout', DEFAULTS.requestTimeout, 1),
    maxRetries: retries(opts),
    retryBaseDelay: num(opts, 'retryBaseDelay', DEFAULTS.retryBaseDelay, 0),
    retryMaxDelay: num(opts, 'retryMaxDelay', DEFAULTS.retryMaxDelay, 0),
    maxQueueSize: int(opts, 'maxQueueSize', DEFAULTS.maxQueueSize, 1),
    maxQueueBytes: int(opts, 'maxQueueBytes', DEFAULTS.maxQueueBytes, 1),
    maxEventBytes: int(opts, 'maxEventBytes', DEFAULTS.maxEventBytes, 64, WIRE_LIMITS.maxEventBytes),
    maxInFlight: int(opts, 'maxInFlight', DEFAULTS.maxInFlight, 1, 256),
    flushTimeout: num(opts, 'flushTimeout', DEFAULTS.flushTimeout, 0),
    segmentsCacheSize: int(opts, 'segmentsCacheSize', DEFAULTS.segmentsCacheSize, 0),
    segmentsCacheTimeout: num(opts, 'segmentsCacheTimeout', DEFAULTS.segmentsCacheTimeout, 0),
    segmentsRequestTimeout: num(
      opts,
      'segmentsRequestTimeout',
      num(opts, 'requestTimeout', DEFAULTS.requestTimeout, 1),
      1,
    ),
    logger: l,
    logLevel,
    transport: t,
  };
}
