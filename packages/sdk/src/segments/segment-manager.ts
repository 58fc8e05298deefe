import type { Logger } from '../types.js';
import { isGraphqlName, segmentsQueryBody } from './graphql-query.js';
import { LruCache } from './lru-cache.js';
import { parseSegmentsResponse } from './parse-response.js';
import type { SegmentsResult } from './result.js';

/** What a segments fetch needs from the ODP configuration. */
export interface SegmentsEndpoint {
  apiKey: string;
  apiHost: string;
  segmentsToCheck: readonly string[];
}

/** One JSON POST; the client adapts its transport to this so segments share connections with events. */
export type PostJson = (request: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}) => Promise<{ status: number; body: string }>;

export interface SegmentManagerOptions {
  post: PostJson;
  cacheSize: number;
  cacheTimeoutMs: number;
  requestTimeoutMs: number;
  logger: Logger;
  now?: () => number;
}

const NO_SEGMENTS_WARNING =
  'fetchQualifiedSegments: there are no segments to check (odp.segmentsToCheck is empty, or the datafile has no ' +
  'audience with a "qualified" condition), so every user qualifies for none and isQualifiedFor() is always false; ' +
  'no request is made. (Logged once per configuration.)';

/**
 * Fetches qualified segments with the LRU cache in front (10,000 users for 10 minutes by default, as in the official SDKs). Unlike the Python SDK, an
 * empty answer is cached too: otherwise every user in no segment costs a request on every fetch.
 */
export class SegmentManager {
  readonly cache: LruCache<string[]>;
  readonly #post: PostJson;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  #warnedNoSegments = false;

  constructor(options: SegmentManagerOptions) {
    this.#post = options.post;
    this.#timeoutMs = options.requestTimeoutMs;
    this.#logger = options.logger;
    this.cache = new LruCache(options.cacheSize, options.cacheTimeoutMs, options.now);
  }

  static cacheKey(userKey: string, userValue: string): string {
    return `${userKey}-$-${userValue}`;
  }

  async fetch(
    endpoint: SegmentsEndpoint,
    userKey: string,
    userValue: string,
    options: readonly string[] = [],
  ): Promise<SegmentsResult> {
    if (endpoint.segmentsToCheck.length === 0) {
      // An empty answer is right, but an application asking for segments most likely expected some: say why once.
      if (!this.#warnedNoSegments) this.#logger.warn(NO_SEGMENTS_WARNING);
      this.#warnedNoSegments = true;
      return { ok: true, segments: [], fromCache: false };
    }
    if (!isGraphqlName(userKey)) {
      return {
        ok: false,
        reason: 'invalid_user_key',
        message: `"${userKey}" cannot be used as an identifier key (letters, digits and _ only, not starting with a digit)`,
      };
    }
    const ignoreCache = options.includes('IGNORE_CACHE');
    if (options.includes('RESET_CACHE')) this.cache.reset();
    const key = SegmentManager.cacheKey(userKey, userValue);
    if (!ignoreCache) {
      const cached = this.cache.lookup(key);
      if (cached !== undefined) return { ok: true, segments: [...cached], fromCache: true };
    }

    let answer: { status: number; body: string };
    try {
      answer = await this.#post({
        url: `${endpoint.apiHost}/v3/graphql`,
        headers: { 'content-type': 'application/json', 'x-api-key': endpoint.apiKey },
        body: segmentsQueryBody(userKey, userValue, endpoint.segmentsToCheck),
        timeoutMs: this.#timeoutMs,
      });
    } catch (err) {
      return { ok: false, reason: 'network', message: `segments request failed: ${describe(err)}` };
    }
    const parsed = parseSegmentsResponse(answer.status, answer.body);
    if (!Array.isArray(parsed)) return parsed;
    if (!ignoreCache) this.cache.save(key, parsed);
    return { ok: true, segments: [...parsed], fromCache: false };
  }

  /** A new configuration: cached answers may no longer hold, and its segment list deserves its own warning. */
  reset(): void {
    this.#warnedNoSegments = false;
    this.cache.reset();
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}
