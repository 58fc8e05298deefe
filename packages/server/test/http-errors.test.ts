import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { FIXED_ISO, FIXED_NOW, request, startTestServer, type TestServer } from './helpers.js';

/** The shared error body with the injected clock's timestamp. */
const problem = (status: number, title: string, message: string) => ({
  title,
  status,
  timestamp: FIXED_ISO,
  detail: { message },
});

const PUBLIC_401 = "this route needs the account's public key in x-api-key";
const PRIVATE_401 = "this route needs the account's private key in Authorization: Bearer <key> (or x-api-key)";

// One route convention and one error path: every route's refusal, and Fastify's own, in the shared shape with the
// app's injected clock, never quoting what the client sent.
describe('one error path', () => {
  let server: TestServer;
  let priv: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ now: () => FIXED_NOW });
    priv = { authorization: `Bearer ${server.account.privateKey}` };
  });
  afterAll(() => server?.close());

  it("answers every route's missing or unknown key with the same 401 builder and the app's clock", async () => {
    const routes: { method: string; path: string; kind: 'public' | 'private' }[] = [
      { method: 'POST', path: '/v3/events', kind: 'public' },
      { method: 'POST', path: '/v3/graphql', kind: 'public' },
      { method: 'GET', path: '/admin/v1/customers?key=email&value=a@b.c', kind: 'private' },
      { method: 'GET', path: '/admin/v1/stats', kind: 'private' },
      { method: 'GET', path: '/admin/v1/segments', kind: 'private' },
      { method: 'GET', path: '/admin/v1/segments/some_name', kind: 'private' },
      { method: 'PUT', path: '/admin/v1/segments/some_name', kind: 'private' },
      { method: 'DELETE', path: '/admin/v1/segments/some_name', kind: 'private' },
      { method: 'POST', path: '/admin/v1/segments:apply', kind: 'private' },
      { method: 'GET', path: '/metrics', kind: 'private' },
    ];
    for (const { method, path, kind } of routes) {
      const wanted = kind === 'public' ? PUBLIC_401 : PRIVATE_401;
      const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
      const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
      const missing = await request(server.url, { method, path, headers, body });
      expect(missing.status, `${method} ${path}`).toBe(401);
      expect(missing.json).toEqual(problem(401, 'Unauthorized', wanted));
      // A key of the other kind is unknown here, and is never echoed.
      const other = kind === 'public' ? server.account.privateKey : server.account.publicKey;
      const wrong = await request(server.url, { method, path, headers: { ...headers, 'x-api-key': other }, body });
      expect(wrong.status, `${method} ${path}`).toBe(401);
      expect(wrong.json).toEqual(problem(401, 'Unauthorized', `unknown key: ${wanted}`));
      expect(wrong.text).not.toContain(other);
    }
  });

  it('reads the Bearer scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await request(server.url, {
        path: '/admin/v1/stats',
        headers: { authorization: `${scheme} ${server.account.privateKey}` },
      });
      expect(res.status, scheme).toBe(200);
    }
  });

  it('answers a badly percent-encoded path in the shared shape without echoing it', async () => {
    const res = await request(server.url, { path: '/admin/v1/segments/%zz-secret', headers: priv });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(problem(400, 'Bad Request', 'the URL is not valid: bad percent-encoding'));
    expect(res.text).not.toContain('secret');
  });

  it('answers a 200-character path parameter with 414 in the shared shape without echoing it', async () => {
    const long = 'q'.repeat(200);
    for (const method of ['GET', 'DELETE']) {
      const res = await request(server.url, { method, path: `/admin/v1/segments/${long}`, headers: priv });
      expect(res.status).toBe(414);
      expect(res.json).toEqual(problem(414, 'URI Too Long', 'a path segment is longer than 100 characters'));
      expect(res.text).not.toContain(long);
    }
  });

  it("maps Fastify's body refusals (content type, size, JSON) to the shared shape without echoing input", async () => {
    const put = (headers: Record<string, string>, body: string) =>
      request(server.url, { method: 'PUT', path: '/admin/v1/segments/s', headers: { ...priv, ...headers }, body });
    const media = await put({ 'content-type': 'application/x-secret-type' }, '{}');
    expect(media.status).toBe(415);
    expect(media.json).toEqual(problem(415, 'Unsupported Media Type', 'this route reads application/json bodies'));
    expect(media.text).not.toContain('secret');

    const large = await put({ 'content-type': 'application/json' }, `{"pad":"${'x'.repeat(1024 * 1024)}"}`);
    expect(large.status).toBe(413);
    expect(large.json).toEqual(problem(413, 'Payload Too Large', 'the body exceeds 1048576 bytes'));

    const broken = await put({ 'content-type': 'application/json' }, '{"condition": secret-token}');
    expect(broken.status).toBe(400);
    expect(broken.json).toEqual(problem(400, 'Bad Request', 'the body is not valid JSON: unexpected token'));
    expect(broken.text).not.toContain('secret');

    const deep = await put({ 'content-type': 'application/json' }, `{"condition":${'['.repeat(40)}${']'.repeat(40)}}`);
    expect(deep.status).toBe(400);
    expect(deep.json.detail).toEqual({ message: 'the body nests arrays and objects deeper than 32 levels' });
  });

  it('reads __proto__ in an admin body as a plain key and says what is wrong with it', async () => {
    const res = await request(server.url, {
      method: 'PUT',
      path: '/admin/v1/segments/proto',
      headers: { ...priv, 'content-type': 'application/json' },
      body: '{"condition": {"identifier": "email"}, "__proto__": {"polluted": true}}',
    });
    expect(res.status).toBe(400);
    expect(res.json.detail.message).toBe('the segment definition is invalid');
    expect(res.json.detail.errors.join('\n')).toContain('"__proto__"');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('answers a wrong method with 405 and Allow, and an unknown path with 404, without echoing it', async () => {
    const cases: { method: string; path: string; allow: string }[] = [
      { method: 'GET', path: '/v3/events', allow: 'POST, OPTIONS' },
      { method: 'PUT', path: '/v3/graphql', allow: 'POST, OPTIONS' },
      { method: 'POST', path: '/health', allow: 'GET, HEAD' },
      { method: 'POST', path: '/admin/v1/segments/x', allow: 'GET, HEAD, PUT, DELETE' },
      { method: 'DELETE', path: '/admin/v1/stats', allow: 'GET, HEAD' },
    ];
    for (const { method, path, allow } of cases) {
      const res = await request(server.url, { method, path, headers: priv });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers['allow']).toBe(allow);
      expect(res.json).toEqual(problem(405, 'Method Not Allowed', `this route answers ${allow}`));
    }
    const missing = await request(server.url, { path: '/v3/secret-path' });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(problem(404, 'Not Found', 'no route at this path'));
  });
});

describe('logging', () => {
  it('logs a refused request at debug level only, with method, route, status and reason and no personal data', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
        done();
      },
    });
    const store = openSqliteStore(':memory:');
    const run = async (level: string) => {
      lines.length = 0;
      const app = createApp({ store, logger: { level, stream }, now: () => FIXED_NOW });
      try {
        const res = await app.inject({
          method: 'GET',
          url: '/admin/v1/customers?key=email&value=person@example.com',
          headers: { 'x-api-key': 'sk_secret-value' },
        });
        expect(res.statusCode).toBe(401);
      } finally {
        await app.close();
      }
      return [...lines];
    };
    try {
      expect(await run('info')).toEqual([]);
      const debug = await run('debug');
      const refused = debug.filter((l) => l['msg'] === 'request refused');
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({
        level: 20,
        method: 'GET',
        route: '/admin/v1/customers',
        status: 401,
        reason: 'unauthenticated',
      });
      const all = JSON.stringify(debug);
      expect(all).not.toContain('person@example.com');
      expect(all).not.toContain('sk_secret-value');
    } finally {
      await store.close();
    }
  });

  it('starts without Fastify deprecation warnings', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.message);
    process.on('warning', onWarning);
    const store = openSqliteStore(':memory:');
    const app = createApp({ store });
    try {
      await app.ready();
      await app.inject({ method: 'GET', url: '/health' });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
      await app.close();
      await store.close();
    }
    expect(warnings.filter((w) => w.startsWith('FSTDEP'))).toEqual([]);
  });
});
