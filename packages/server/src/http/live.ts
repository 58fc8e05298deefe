import type { FastifyInstance } from 'fastify';
import { boundedStream } from '../activity/bounded-stream.js';
import { requireAccount } from './auth.js';
import { sendError } from './errors.js';

/** Messages held for a slow reader; beyond this they are dropped and the reader is told how many. */
export const MAX_BUFFERED_MESSAGES = 256;
const KEEPALIVE_MS = 15_000;

/**
 * GET /admin/v1/live (private key): a text/event-stream of the account's batches as they are committed (`accepted`)
 * and refused (`rejected`). A stream is read with fetch and an Authorization header (EventSource cannot send one, and
 * a key in the URL would end up in logs). At most MAX_STREAMS_PER_ACCOUNT streams per account (one more: 409), and
 * each holds at most MAX_BUFFERED_MESSAGES for a slow reader.
 */
export async function liveRoutes(app: FastifyInstance): Promise<void> {
  const { activity } = app.odpkit;
  const open = new Set<() => void>();
  // Open streams would otherwise hold the server's close forever.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/admin/v1/live', { onRequest: requireAccount('private') }, async (request, reply) => {
    const raw = reply.raw;
    const stream = boundedStream(raw, MAX_BUFFERED_MESSAGES);
    const leave = activity.live.open(request.account!.id, stream);
    if (leave === null) {
      return sendError(reply, 409, {
        message: `this account already has ${activity.live.maxPerAccount} live streams open; close one (another console tab) and retry`,
      });
    }
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    raw.write(`event: ready\ndata: {"max_buffered":${MAX_BUFFERED_MESSAGES}}\n\n`);
    const keepalive = setInterval(() => stream.push(': keep-alive\n\n'), KEEPALIVE_MS);
    const end = () => {
      clearInterval(keepalive);
      leave();
      open.delete(end);
      if (!raw.writableEnded) raw.end();
    };
    open.add(end);
    raw.on('close', end);
  });
}
