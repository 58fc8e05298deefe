// Ceiling (a): a bare Fastify route that parses the same body (Fastify's JSON parser) and answers 202
// with the same body as the server, nothing stored. Run as a child process by run.mjs (IPC: it sends
// { ready, url }, and closes on 'close').

import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';

const PUBLIC_KEY = 'pk';

export async function startBareFastify({ host = '127.0.0.1', port = 0 } = {}) {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.post('/v3/events', async (request, reply) => {
    if (request.headers['x-api-key'] !== PUBLIC_KEY)
      return reply.code(401).send({ title: 'Unauthorized', status: 401 });
    const events = Array.isArray(request.body) ? request.body : [request.body];
    if (events.length === 0) return reply.code(400).send({ title: 'Bad Request', status: 400 });
    return reply.code(202).send({ title: 'Accepted', status: 202, timestamp: new Date().toISOString() });
  });
  const address = await app.listen({ host, port });
  return { url: address, close: () => app.close() };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startBareFastify();
  process.on('message', async (message) => {
    if (message === 'close') {
      await server.close();
      process.send({ closed: true }, () => process.exit(0));
    }
  });
  process.send({ ready: true, url: server.url, pid: process.pid });
}
