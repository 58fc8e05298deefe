import type { FastifyInstance } from 'fastify';
import { validateBatch } from '../ingest/validate.js';
import { requireAccount } from './auth.js';
import { decodeBody } from './body.js';
import { sendCommitFailure } from './commit-failure.js';
import { acceptedBody, sendError } from './errors.js';

/**
 * POST /v3/events (public key): the key is checked before the body is read, every cap applies before parsing, and 202
 * is answered only after the events are committed.
 */
export async function eventsRoutes(app: FastifyInstance): Promise<void> {
  const { limits, committer, metrics, now } = app.odpkit;

  // This plugin reads bodies itself (any media type, capped, compressed or not); parsers are encapsulated, so the
  // GraphQL and admin plugins keep Fastify's JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_req, body, done) =>
    done(null, body),
  );

  app.post('/v3/events', { onRequest: requireAccount('public') }, async (request, reply) => {
    const decoded = await decodeBody(request.body as Buffer | undefined, request.headers, limits.maxBodyBytes, {
      count: limits.maxEvents,
      what: 'events',
    });
    if (!decoded.ok) {
      const reason = decoded.status === 400 ? 'malformed' : decoded.status === 413 ? 'too_large' : 'media_type';
      metrics.rejected.inc({ reason });
      return sendError(reply, decoded.status, { message: decoded.message }, reason);
    }
    const value = decoded.value;
    if (typeof value !== 'object' || value === null) {
      metrics.rejected.inc({ reason: 'malformed' });
      return sendError(
        reply,
        400,
        { message: 'the body must be a JSON array of events or a single event object' },
        'malformed',
      );
    }
    // An array over maxEvents was refused (413) by decodeBody's pre-scan, before parsing.
    const batch = Array.isArray(value) ? value : [value];
    const result = validateBatch(batch);
    if (!result.ok) {
      metrics.rejected.inc({ reason: 'invalid' });
      return sendError(reply, 400, { invalids: result.invalids }, 'invalid');
    }
    if (result.events.length > 0) {
      try {
        await committer.submit({ accountId: request.account!.id, receivedAt: now(), events: result.events });
      } catch (err) {
        return sendCommitFailure(app.odpkit, request, reply, err, 'commit failed');
      }
    }
    return reply.code(202).send(acceptedBody(now));
  });
}
