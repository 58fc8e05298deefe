import type { FastifyInstance } from 'fastify';

/**
 * CORS for /v3/*, so browser SDKs can post events and query segments from any origin. The public key is meant to be
 * shipped to browsers; the admin API gets no CORS headers, so a web page cannot read it with a user's credentials.
 */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/v3/')) reply.header('access-control-allow-origin', '*');
  });
  app.options('/v3/*', async (_request, reply) => {
    reply
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type, x-api-key, content-encoding')
      .header('access-control-max-age', '86400')
      .code(204);
  });
}
