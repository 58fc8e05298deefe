import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import { parseJsonBytes } from './json.js';

/**
 * Turns the raw request body into parsed JSON, with every cap applied before the expensive step: the wire size is
 * capped by Fastify's bodyLimit while reading, the decompressed size by zlib's maxOutputLength (so a gzip bomb stops
 * at the cap instead of filling memory), the nesting depth by a linear scan before JSON.parse, and invalid UTF-8 is
 * refused rather than silently replaced.
 */

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

export type BodyFailure = { ok: false; status: 400 | 413 | 415; message: string };
export type BodyResult = { ok: true; value: unknown } | BodyFailure;

function isTooLarge(err: unknown): boolean {
  return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
}

async function decompress(body: Buffer, encoding: string, maxBytes: number): Promise<Buffer | BodyFailure> {
  const opts = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return await gunzipAsync(body, opts);
    try {
      return await inflateAsync(body, opts);
    } catch (err) {
      // Some clients send raw DEFLATE without the zlib header under "deflate"; accept both.
      if (isTooLarge(err)) throw err;
      return await inflateRawAsync(body, opts);
    }
  } catch (err) {
    if (isTooLarge(err)) return { ok: false, status: 413, message: `the decompressed body exceeds ${maxBytes} bytes` };
    return { ok: false, status: 400, message: `the body is not valid ${encoding} data` };
  }
}

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isCompressed(contentEncoding: string | undefined): boolean {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  return encoding !== '' && encoding !== 'identity';
}

export async function decodeBody(
  body: Buffer | undefined,
  headers: { 'content-type'?: string | undefined; 'content-encoding'?: string | undefined },
  maxBytes: number,
  maxItems?: { count: number; what: string },
): Promise<BodyResult> {
  const media = mediaTypeOf(headers['content-type']);
  // text/plain is what a browser may send without a CORS preflight; an absent type is what curl users forget.
  if (media !== '' && media !== 'application/json' && media !== 'text/plain') {
    return { ok: false, status: 415, message: 'the body must be application/json or text/plain' };
  }
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let raw = body ?? Buffer.alloc(0);
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    const out = await decompress(raw, encoding, maxBytes);
    if (!Buffer.isBuffer(out)) return out;
    raw = out;
  } else if (encoding !== 'identity' && encoding !== '') {
    return { ok: false, status: 415, message: 'content-encoding must be gzip, deflate or identity' };
  }
  return parseJsonBytes(raw, maxItems);
}

/** A body refused by a content-type parser; the shared error handler answers it with its status and message. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}
