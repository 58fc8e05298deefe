import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

/**
 * The web console at /console/: the files `@odpkit/console` built (its dist folder, resolved through the workspace
 * package at start), read once into memory. Only those files are ever answered: a URL is looked up in that fixed
 * map, never joined onto a path, so no URL can reach another file. The files hold no data (the console signs in with
 * a key and calls the admin API), so they are public. Hashed asset names never change content, so they are cached
 * for good; index.html is revalidated so a new build is picked up.
 */

interface StaticFile {
  body: Buffer;
  type: string;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** The console makes same-origin requests only and runs no inline script. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function consoleDistDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('@odpkit/console/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return null;
  }
}

function loadFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const type = TYPES[extname(name)];
        if (type === undefined) continue;
        const url = relative(root, full).split(sep).join('/');
        files.set(url, { body: readFileSync(full), type, immutable: url.startsWith('assets/') });
      }
    }
  };
  try {
    walk(root);
  } catch {
    // Not built: every console URL answers 404 saying so.
  }
  return files;
}

export function consoleStaticRoutes(root: string | null = consoleDistDir()) {
  return async function consoleStatic(app: FastifyInstance): Promise<void> {
    const files = root === null ? new Map<string, StaticFile>() : loadFiles(root);
    const index = files.get('index.html');

    app.get('/', async (_request, reply) => reply.redirect('/console/', 302));
    app.get('/console', async (_request, reply) => reply.redirect('/console/', 301));
    app.get('/console/*', async (request, reply) => {
      const wanted = (request.params as { '*': string })['*'];
      const file = wanted === '' ? index : files.get(wanted);
      if (file === undefined) {
        return sendError(reply, 404, {
          message: index === undefined ? 'the console is not built; run npm run build' : `no console file ${wanted}`,
        });
      }
      return reply
        .headers(SECURITY_HEADERS)
        .header('content-type', file.type)
        .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(file.body);
    });
  };
}
