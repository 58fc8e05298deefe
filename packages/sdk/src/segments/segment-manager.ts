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
  now?: () => number;
}

/**
 * Fetches qualified segments with the LRU cache in front (10,000 users for 10 minutes by default, as in the official SDKs). Unlike the Python SDK, an
 * empty answer is cached too: otherwise every user in no segment costs a request on every fetch.
 */
export class SegmentManager {
  readonly cache: LruCache<string[]>;
  readonly #post: PostJson;
  readonly #timeoutMs: number;

  constructor(options: SegmentManagerOptions) {
    this.#post = options.post;
    this.#timeoutMs = options.requestTimeoutMs;
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
    if (endpoint.segmentsToCheck.length === 0) return { ok: true, segments: [], fromCache: false };
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

  reset(): void {
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
