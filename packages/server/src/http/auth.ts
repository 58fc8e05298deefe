import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../store/store.js';
import { sendError } from './errors.js';
import './context.js';

export type KeyKind = 'public' | 'private';

/** Longer than any key we issue; a longer header is not looked up at all. */
const MAX_KEY_LENGTH = 256;

/**
 * The key a request carries. Node lower-cases header names, so `X-API-KEY` and `x-api-key` are the same header.
 * Private keys may also come as `Authorization: Bearer <key>` (what Prometheus and curl users reach for).
 */
function presentedKey(request: FastifyRequest, kind: KeyKind): string | null {
  const header = request.headers['x-api-key'];
  let key = Array.isArray(header) ? header[0] : header;
  if (key === undefined && kind === 'private') {
    const auth = request.headers.authorization;
    if (auth?.startsWith('Bearer ')) key = auth.slice(7);
  }
  key = key?.trim();
  return key && key.length <= MAX_KEY_LENGTH ? key : null;
}

/** The account whose key of `kind` the request carries, or null. Exported for route plugins added later (GraphQL). */
export async function authenticate(request: FastifyRequest, kind: KeyKind): Promise<Account | null> {
  const key = presentedKey(request, kind);
  if (key === null) return null;
  const { store } = request.server.odpkit;
  return kind === 'public' ? store.accountByPublicKey(key) : store.accountByPrivateKey(key);
}

/**
 * A hook that answers 401 unless the request carries a valid key of `kind`, and sets `request.account`. Use it as
 * `onRequest`, so an unauthenticated body is never read.
 */
export function requireAccount(kind: KeyKind) {
  return async function checkKey(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let account: Account | null;
    try {
      account = await authenticate(request, kind);
    } catch (err) {
      // The store is down: that is transient, and a 5xx other than 503 would make no SDK wait before retrying.
      request.log.error({ err }, 'key look-up failed');
      reply.header('retry-after', String(request.server.odpkit.limits.retryAfterSeconds));
      await sendError(reply, 503, { message: 'the account store is unavailable; retry later' });
      return reply;
    }
    if (account === null) {
      const message =
        presentedKey(request, kind) === null
          ? kind === 'public'
            ? 'missing x-api-key header (the account public key)'
            : 'missing x-api-key or Authorization: Bearer header (the account private key)'
          : `unknown ${kind} key`;
      await sendError(reply, 401, { message });
      return reply;
    }
    request.account = account;
  };
}
