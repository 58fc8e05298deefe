import { describeValue } from '../event/describe.js';
import { type ClientInternals, INTERNALS } from '../internals.js';
import type { Logger, OdpClient, SegmentOptionName } from '../types.js';
import type { SegmentsFailure, SegmentsResult } from './result.js';
import { SegmentManager } from './segment-manager.js';
import { OdpUserContext } from './user-context.js';
import { userKeyFor } from './user-key.js';

type Who = { key: string; value: string };

/** One segment cache per client, made on first use and emptied whenever the client's configuration changes. */
const managers = new WeakMap<object, SegmentManager>();

function internalsOf(client: OdpClient): ClientInternals {
  const i = (client as unknown as { [INTERNALS]?: ClientInternals } | null)?.[INTERNALS];
  if (i === undefined)
    throw new TypeError(`odpkit: expected a client made by createOdpClient (got ${describeValue(client)})`);
  return i;
}

function managerFor(client: OdpClient, i: ClientInternals): SegmentManager {
  let m = managers.get(client);
  if (m === undefined) {
    const o = i.options;
    const manager = new SegmentManager({
      post: (r) =>
        i.transport.request({ method: 'POST', url: r.url, headers: r.headers, body: r.body, timeout: r.timeoutMs }),
      cacheSize: o.segmentsCacheSize,
      cacheTimeoutMs: o.segmentsCacheTimeout,
      requestTimeoutMs: o.segmentsRequestTimeout,
      logger: i.logger,
    });
    // Answers cached under another key, host or segment list may no longer be true.
    i.onConfig(() => manager.reset());
    managers.set(client, manager);
    m = manager;
  }
  return m;
}

/**
 * The segments (of the configuration's segments to check) a user qualifies for. A string is a user id, asked by
 * `vuid` when it starts with `vuid_` and by `fs_user_id` otherwise; `{ key, value }` asks by any identifier; no user
 * asks by the client's visitor id (the `vuid` option). Options: 'IGNORE_CACHE' (neither read nor write the cache),
 * 'RESET_CACHE' (empty it first). Never rejects: a failure resolves with its reason.
 */
export async function fetchQualifiedSegments(
  client: OdpClient,
  user?: string | Who,
  options: readonly SegmentOptionName[] = [],
): Promise<SegmentsResult> {
  const i = internalsOf(client);
  const fail = (who: Who, failure: SegmentsFailure) => segmentsFailed(i.logger, who, failure);
  const u = user ?? i.vuid;
  let who: Who;
  if (typeof u === 'string') who = { key: userKeyFor(u), value: u };
  else if (typeof u === 'object' && u !== null && typeof u.key === 'string' && typeof u.value === 'string') {
    who = { key: u.key, value: u.value };
  } else {
    const message =
      u === undefined
        ? 'no user given and the client has no visitor id (the vuid option)'
        : `user must be a string id or { key, value } (got ${describeValue(u)})`;
    return fail({ key: '?', value: '?' }, { ok: false, reason: 'invalid_user_key', message });
  }
  if (who.value === '') return fail(who, { ok: false, reason: 'invalid_user_key', message: 'the user id is empty' });
  if (i.closed) return fail(who, { ok: false, reason: 'closed', message: 'the client is closed' });
  // A datafile still on its way: give the fetch in progress its chance rather than answer "unknown" at once.
  await i.settleConfig();
  const cfg = i.config;
  if (cfg.state === 'pending') {
    return fail(who, {
      ok: false,
      reason: 'config_pending',
      message: `ODP configuration unavailable: ${i.configError}`,
    });
  }
  if (cfg.state === 'not_integrated') return fail(who, { ok: false, reason: 'not_integrated', message: cfg.reason });
  const result = await managerFor(client, i).fetch(cfg, who.key, who.value, options);
  return result.ok ? result : fail(who, result);
}

/**
 * A user for flag decisions: fetch its segments once, then ask isQualifiedFor(name). Without a user id it is the
 * visitor (the client's `vuid`).
 */
export function createUserContext(
  client: OdpClient,
  userId?: string,
  attributes: Record<string, unknown> = {},
): OdpUserContext {
  const i = internalsOf(client);
  const id = userId ?? i.vuid;
  if (typeof id !== 'string' || id === '') {
    const why =
      userId === undefined ? 'the client has no visitor id (the vuid option)' : `got ${describeValue(userId)}`;
    throw new TypeError(`odpkit: createUserContext needs a non-empty string user id (${why})`);
  }
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new TypeError(
      `odpkit: createUserContext attributes must be a plain object (got ${describeValue(attributes)})`,
    );
  }
  return new OdpUserContext(id, attributes, (who, options) => fetchQualifiedSegments(client, who, options));
}

function segmentsFailed(logger: Logger, who: Who, failure: SegmentsFailure): SegmentsResult {
  // An unknown user is an expected answer for new visitors, not a fault of the application or the server.
  const log = failure.reason === 'invalid_identifier' ? logger.warn : logger.error;
  log.call(logger, `segments fetch failed for ${who.key}=${who.value} (${failure.reason}): ${failure.message}`);
  return failure;
}
