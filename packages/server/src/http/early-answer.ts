import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * A request answered before its body was read (a 401, a 503 from the body budget, a 413 on content-length) is
 * answered with `Connection: close`, and the connection is then closed cleanly: our side is ended after the
 * response, the rest of the body is read and discarded for at most `lingerMs`, and the socket is destroyed when the
 * client has sent everything or the time is up. Destroying it at once would reset the connection while the client is
 * still sending, and many clients then lose the answer; keeping it open would let a trickling client run into a second
 * answer (a 408) on the same connection.
 */

/** Sockets whose request has had its answer: Node's request timeout must not write a second one (see error-handler). */
export const answeredEarly = new WeakSet<Socket>();

export function registerEarlyAnswerClose(app: FastifyInstance, lingerMs: number): void {
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.complete) return;
    reply.header('connection', 'close');
    const socket = request.raw.socket;
    answeredEarly.add(socket);
    // Node calls destroySoon once a response with `Connection: close` is written; close cleanly instead.
    socket.destroySoon = function lingeringClose(this: Socket) {
      this.end();
      const timer = setTimeout(() => this.destroy(), lingerMs);
      timer.unref();
      this.once('end', () => this.destroy());
      this.once('close', () => clearTimeout(timer));
    };
  });
}
