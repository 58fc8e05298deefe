import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../store/store.js';
import { sendError } from './errors.js';
import './context.js';

/** Public keys (events, GraphQL) may ship to browsers; private keys guard the admin API and /metrics. */
export type KeyKind = 'public' | 'private';

/** Longer than any key we issue; a longer header is not looked up at all. */
const MAX_KEY_LENGTH = 256;

/** Auth schemes are case-insensitive (RFC 9110): `Bearer`, `bearer` and `BEARER` are the same. */
const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** What a 401 says each route wants, so a client knows which key and which header to send. */
const WANTED: Record<KeyKind, string> = {
  public: "this route needs the account's public key in x-api-key",
  private: "this route needs the account's private key in Authorization: Bearer <key> (or x-api-key)",
};

/**
 * The key a request carries. Node lower-cases header names, so `X-API-KEY` and `x-api-key` are the same header.
 * Private keys may also come as `Authorization: Bearer <key>` (what Prometheus and curl users reach for).
 */
function presentedKey(request: FastifyRequest, kind: KeyKind): string | null {
  const header = request.headers['x-api-key'];
  let key = Array.isArray(header) ? header[0] : header;
  if (key === undefined && kind === 'private') key = BEARER.exec(request.headers.authorization ?? '')?.[1];
  key = key?.trim();
  return key && key.length <= MAX_KEY_LENGTH ? key : null;
}

async function accountFor(request: FastifyRequest, kind: KeyKind, key: string): Promise<Account | null> {
  const { store } = request.server.odpkit;
  return kind === 'public' ? store.accountByPublicKey(key) : store.accountByPrivateKey(key);
}

/**
 * The one way a route resolves its account: an `onRequest` hook (so an unauthenticated body is never read) that
 * answers 401 unless the request carries a valid key of `kind`, and sets `request.account`.
 */
export function requireAccount(kind: KeyKind) {
  return async function checkKey(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const key = presentedKey(request, kind);
    let account: Account | null = null;
    if (key !== null) {
      try {
        account = await accountFor(request, kind, key);
      } catch (err) {
        // The store is down: that is transient, and a 5xx other than 503 would make no SDK wait before retrying.
        request.server.odpkit.writeHealth.logFailure(err, request.log, 'key look-up failed');
        reply.header('retry-after', String(request.server.odpkit.limits.retryAfterSeconds));
        await sendError(reply, 503, { message: 'the account store is unavailable; retry later' }, 'store_error');
        return reply;
      }
    }
    if (account === null) {
      // The key itself is never echoed: it may be another kind of key, or a secret pasted into the wrong place.
      const message = key === null ? WANTED[kind] : `unknown key: ${WANTED[kind]}`;
      await sendError(reply, 401, { message });
      return reply;
    }
    request.account = account;
  };
}
