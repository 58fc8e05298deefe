// Ceiling (a): a bare Fastify route that parses the same body (Fastify's JSON parser) and answers 202 with the same
// body as the server, nothing stored. Run as a child process by run.mjs (bench/lib/processes.mjs forkReady/stopChild).

import Fastify from 'fastify';
import { serveUntilClosed } from '../lib/processes.mjs';

const PUBLIC_KEY = 'pk';

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.post('/v3/events', async (request, reply) => {
  if (request.headers['x-api-key'] !== PUBLIC_KEY) return reply.code(401).send({ title: 'Unauthorized', status: 401 });
  const events = Array.isArray(request.body) ? request.body : [request.body];
  if (events.length === 0) return reply.code(400).send({ title: 'Bad Request', status: 400 });
  return reply.code(202).send({ title: 'Accepted', status: 202, timestamp: new Date().toISOString() });
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
serveUntilClosed({ url }, () => app.close());
