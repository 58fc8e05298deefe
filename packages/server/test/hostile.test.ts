import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminGet,
  describeStores,
  event,
  FIXED_ISO,
  FIXED_NOW,
  postEvents,
  request,
  startTestServer,
  type TestServer,
} from './helpers.js';

/** Built once for both stores' runs: compressing 256 MiB is the slow part of this file. */
let bomb: Buffer | undefined;

// Hostile input: never a 5xx, never a crash, never a partial write. Every rejected request is checked to have stored
// nothing, and the server is checked to still be healthy at the end.
describeStores('hostile input', (store) => {
  let server: TestServer;
  let key: string;
  const storedEvents = async () => (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json.events;

  beforeAll(async () => {
    server = await startTestServer({ store });
    key = server.account.publicKey;
  });
  afterAll(() => server?.close());

  const expectRejected = async (body: string | Buffer, status: number, headers: Record<string, string> = {}) => {
    const before = await storedEvents();
    const res = await postEvents(server, key, body, headers);
    expect(res.status, typeof body === 'string' ? body.slice(0, 80) : 'buffer').toBe(status);
    expect(res.json.status).toBe(status);
    expect(await storedEvents()).toBe(before);
    return res;
  };

  it('rejects malformed JSON of every kind with 400', async () => {
    for (const body of [
      '',
      '   ',
      '[',
      '{',
      '[{]',
      '[1,]',
      'nul',
      '{"a":1}}',
      "['single']",
      '[NaN]',
      '\u0000',
      '[{"type":"x"}]x',
    ]) {
      await expectRejected(body, 400);
    }
  });

  it('rejects a body that is not an array or an object with 400', async () => {
    for (const body of ['null', '1', '"events"', 'true']) await expectRejected(body, 400);
  });

  it('rejects wrong types at every level with 400 and stores none of the batch', async () => {
    const good = event({ fs_user_id: 'hostile-good' });
    const bad: unknown[] = [
      1,
      'event',
      null,
      [],
      { ...good, type: 1 },
      { ...good, type: '' },
      { ...good, type: '   ' },
      { ...good, type: 'x'.repeat(257) },
      { ...good, action: ['a'] },
      { ...good, action: null },
      { ...good, identifiers: 'u1' },
      { ...good, identifiers: ['u1'] },
      { ...good, identifiers: null },
      { ...good, identifiers: { fs_user_id: 5 } },
      { ...good, identifiers: { fs_user_id: null } },
      { ...good, identifiers: { fs_user_id: { nested: 'x' } } },
      { ...good, identifiers: { '': 'x' } },
      { ...good, data: 'x' },
      { ...good, data: [1] },
      { ...good, data: { nested: { a: 1 } } },
      { ...good, data: { list: [1, 2] } },
      { ...good, data: { idempotence_id: 5 } },
      { ...good, data: { idempotence_id: '' } },
    ];
    for (const b of bad) {
      const res = await expectRejected(JSON.stringify([good, b]), 400);
      expect(res.json.detail.invalids).toHaveLength(1);
      expect(res.json.detail.invalids[0].event).toBe(1);
    }
    expect(await server.store.lookupCustomer(server.account.id, 'fs_user_id', 'hostile-good')).toBeNull();
  });

  it('answers a 10 MB body with 413 without reading it all', async () => {
    await expectRejected(Buffer.alloc(10 * 1024 * 1024, 0x20), 413);
    const oneEventTooBig = JSON.stringify([event({ fs_user_id: 'big' }, { blob: 'x'.repeat(10 * 1024 * 1024) })]);
    await expectRejected(oneEventTooBig, 413);
  });

  it('answers a gzip bomb with 413 and stays up', async () => {
    // 256 MiB of spaces gzip to about 250 kB; decompression must stop at the 4 MiB cap instead of filling memory.
    bomb ??= gzipSync(Buffer.alloc(256 * 1024 * 1024, 0x20), { level: 9 });
    await expectRejected(bomb, 413, { 'content-encoding': 'gzip' });
    await expectRejected(Buffer.from('not gzip at all'), 400, { 'content-encoding': 'gzip' });
  });

  it('refuses a gzip nesting bomb (two million brackets in 4 KB) before parsing it', async () => {
    const depth = 2_000_000;
    const nested = gzipSync(Buffer.from('['.repeat(depth) + ']'.repeat(depth)), { level: 9 });
    expect(nested.length).toBeLessThan(16 * 1024);
    const res = await expectRejected(nested, 400, { 'content-encoding': 'gzip' });
    expect(res.json.detail).toEqual({ message: 'the body nests arrays and objects deeper than 32 levels' });
    // 32 levels are allowed (a valid batch needs 3); the scan ignores brackets inside strings.
    const ok = event({ fs_user_id: 'depth-ok' }, { s: '[[[[{{{{'.repeat(100) });
    expect((await postEvents(server, key, [ok])).status).toBe(202);
  });

  it('answers a large body sent without a key with 401, read by the client whole, not a reset', async () => {
    const big = paddedBatch('no-key', 3_000_000);
    for (let i = 0; i < 5; i++) {
      const res = await request(server.url, {
        method: 'POST',
        path: '/v3/events',
        headers: { 'content-type': 'application/json' },
        body: big,
      });
      expect(res.status).toBe(401);
      expect(res.headers['connection']).toBe('close');
    }
  });

  it('refuses a batch of two million items with 413 before parsing it', async () => {
    const res = await expectRejected(`[${Array.from({ length: 2_000_000 }, () => '0').join(',')}]`, 413);
    expect(res.json.detail).toEqual({ message: 'a batch holds at most 1000 events; this one holds 2000000' });
  });

  it('handles deep nesting without recursion trouble', async () => {
    const depth = 200_000;
    await expectRejected('['.repeat(depth) + ']'.repeat(depth), 400);
    const nestedData = `[{"type":"t","action":"a","identifiers":{"fs_user_id":"deep"},"data":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}]`;
    await expectRejected(nestedData, 400);
    await expectRejected('['.repeat(depth), 400);
  });

  it('stores __proto__ and constructor keys as plain data and pollutes nothing', async () => {
    const body = `[{"type":"fullstack","action":"proto","__proto__":{"polluted":true},
      "identifiers":{"fs_user_id":"proto-user","__proto__":"proto-id"},
      "data":{"__proto__":{"polluted":true},"constructor":"c","idempotence_id":"proto-1"}}]`;
    // `data.__proto__` is an object, so this batch is invalid: nested values are not allowed.
    await expectRejected(body, 400);
    const ok = `[{"type":"fullstack","action":"proto","__proto__":{"polluted":true},
      "identifiers":{"fs_user_id":"proto-user","__proto__":"proto-id"},
      "data":{"__proto__":"p","constructor":"c","idempotence_id":"proto-2"}}]`;
    expect((await postEvents(server, key, ok)).status).toBe(202);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const c = await server.store.lookupCustomer(server.account.id, '__proto__', 'proto-id');
    expect(c).not.toBeNull();
    const [stored] = await server.store.customerEvents(server.account.id, c!.customerId);
    expect(Object.getOwnPropertyNames(stored!.data)).toEqual(['__proto__', 'constructor', 'idempotence_id']);
    expect(Object.getOwnPropertyDescriptor(stored!.data, '__proto__')?.value).toBe('p');
    expect(Object.getOwnPropertyDescriptor(stored!.identifiers, '__proto__')?.value).toBe('proto-id');
  });

  it('rejects invalid UTF-8 with 400 instead of storing replacement characters', async () => {
    const prefix = Buffer.from('[{"type":"fullstack","action":"a","identifiers":{"fs_user_id":"');
    const suffix = Buffer.from('"},"data":{}}]');
    for (const bad of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      await expectRejected(Buffer.concat([prefix, Buffer.from(bad), suffix]), 400);
    }
    // Lone surrogates written as JSON escapes are valid JSON; they are stored as sent.
    expect(
      (
        await postEvents(
          server,
          key,
          '[{"type":"t","action":"a","identifiers":{"fs_user_id":"sur-\\ud800"},"data":{}}]',
        )
      ).status,
    ).toBe(202);
  });

  it('stores SQL fragments verbatim', async () => {
    const sql = "x'); DROP TABLE events; --";
    const e = event(
      { fs_user_id: sql, email: "a'@b.c" },
      { q: "' OR 1=1 --", n: 'Robert"); DELETE FROM accounts;--' },
      "'; SELECT *",
    );
    expect((await postEvents(server, key, [e])).status).toBe(202);
    const c = await server.store.lookupCustomer(server.account.id, 'fs_user_id', sql);
    expect(c?.identifiers).toEqual({ email: ["a'@b.c"], fs_user_id: [sql] });
    const [stored] = await server.store.customerEvents(server.account.id, c!.customerId);
    expect(stored).toMatchObject({
      type: 'fullstack',
      action: "'; SELECT *",
      identifiers: e.identifiers,
      data: e.data,
    });
    const admin = await adminGet(
      server,
      server.account.privateKey,
      `/admin/v1/customers?key=fs_user_id&value=${encodeURIComponent(sql)}`,
    );
    expect(admin.status).toBe(200);
  });

  it('is still healthy and answering after all of the above', async () => {
    expect((await request(server.url, { path: '/health' })).json).toEqual({ status: 'ok' });
    expect((await postEvents(server, key, [event({ fs_user_id: 'after-hostile' })])).status).toBe(202);
  });
});

/** A raw TCP connection to the server, recording everything it answers until it closes. */
function connect(
  url: string,
  options: { allowHalfOpen?: boolean } = {},
): Promise<{ socket: net.Socket; received: () => string; closed: Promise<string> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port), ...options });
    let data = '';
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
    });
    const closed = new Promise<string>((r) => socket.on('close', () => r(data)));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Writes `chunk` every `everyMs` until the server closes the connection; fails after `max` writes. */
async function trickle(socket: net.Socket, chunk: string, everyMs: number, max: number): Promise<void> {
  for (let i = 0; i < max && !socket.destroyed && socket.writable; i++) {
    socket.write(chunk);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const responses = (raw: string) => raw.match(/HTTP\/1\.1 \d{3}/g) ?? [];

/** A batch padded with spaces to exactly `bytes`. */
function paddedBatch(fsUserId: string, bytes: number): string {
  const json = JSON.stringify([event({ fs_user_id: fsUserId })]);
  return json + ' '.repeat(bytes - json.length);
}

async function gauge(server: TestServer, name: string): Promise<number> {
  const m = await request(server.url, { path: '/metrics', headers: { 'x-api-key': server.account.privateKey } });
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(m.text)?.[1]);
}

// Attacks on the connection rather than the body, with short configured limits so each is reached quickly. Loopback
// only, and bounded: every loop has a maximum count.
describe('hostile connections', () => {
  it('caps the bytes held by bodies in flight: 503 + Retry-After beyond the budget, never 429', async () => {
    const server = await startTestServer({ now: () => FIXED_NOW, limits: { maxInflightBodyBytes: 1_000_000 } });
    try {
      const key = server.account.publicKey;
      // A holds 600 kB of the budget while its body trickles in.
      const a = await connect(server.url);
      const body = paddedBatch('budget-a', 600_000);
      a.socket.write(
        `POST /v3/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\n` +
          `content-length: ${body.length}\r\n\r\n${body.slice(0, 1000)}`,
      );
      for (let i = 0; i < 1000 && (await gauge(server, 'odpkit_inflight_body_bytes')) !== 600_000; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await gauge(server, 'odpkit_inflight_body_bytes')).toBe(600_000);
      const b = await postEvents(server, key, paddedBatch('budget-b', 600_000));
      expect(b.status).toBe(503);
      expect(b.headers['retry-after']).toBe('1');
      expect(b.json).toEqual({
        title: 'Service Unavailable',
        status: 503,
        timestamp: FIXED_ISO,
        detail: { message: 'the server is busy reading other large bodies; retry later' },
      });
      // (Not end(): a client that half-closes its side aborts its own request.)
      a.socket.write(body.slice(1000));
      expect(responses(await a.closed)).toEqual(['HTTP/1.1 202']);
      expect((await postEvents(server, key, paddedBatch('budget-c', 600_000))).status).toBe(202);
      expect(await gauge(server, 'odpkit_inflight_body_bytes')).toBe(0);

      // Many at once: each is stored or refused with 503, nothing else, and the budget is whole again afterwards.
      const many = await Promise.all(
        Array.from({ length: 16 }, (_, i) => postEvents(server, key, paddedBatch(`budget-many-${i}`, 400_000))),
      );
      for (const r of many) {
        expect([202, 503]).toContain(r.status);
        if (r.status === 503) expect(r.headers['retry-after']).toBe('1');
      }
      expect(many.some((r) => r.status === 202)).toBe(true);
      expect(await gauge(server, 'odpkit_inflight_body_bytes')).toBe(0);
    } finally {
      await server.close();
    }
  });

  describe('slow clients', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        now: () => FIXED_NOW,
        limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 10_000 },
      });
    });
    afterAll(() => server?.close());

    const timeoutAnswer = (raw: string) => {
      expect(responses(raw)).toEqual(['HTTP/1.1 408']);
      expect(raw.toLowerCase()).toContain('connection: close');
      const json = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
      expect(json).toEqual({
        title: 'Request Timeout',
        status: 408,
        timestamp: FIXED_ISO,
        detail: { message: 'the request was not received in time' },
      });
    };

    it('answers trickled headers with 408 and closes the connection', async () => {
      const c = await connect(server.url);
      c.socket.write('POST /v3/events HTTP/1.1\r\nHost: x\r\n');
      await trickle(c.socket, 'x-pad: a\r\n', 50, 400);
      timeoutAnswer(await c.closed);
    });

    it('answers a trickled body with 408 and closes the connection', async () => {
      const c = await connect(server.url);
      c.socket.write(
        `POST /v3/events HTTP/1.1\r\nHost: x\r\nx-api-key: ${server.account.publicKey}\r\n` +
          'content-type: application/json\r\ncontent-length: 100000\r\n\r\n[',
      );
      await trickle(c.socket, ' ', 50, 400);
      timeoutAnswer(await c.closed);
    });

    it('lets a client finish sending the body after an early 401, then closes without a reset', async () => {
      // Half-open: the client keeps sending after the server has finished its side, as an HTTP client mid-upload does.
      const c = await connect(server.url, { allowHalfOpen: true });
      const errors: string[] = [];
      const recordError = (e?: NodeJS.ErrnoException | null) => {
        if (e) errors.push(e.code ?? e.message);
      };
      c.socket.on('error', recordError);
      c.socket.write(
        'POST /v3/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 50000\r\n\r\n',
      );
      for (let i = 0; i < 1000 && !c.received().includes('\r\n\r\n{'); i++) await new Promise((r) => setTimeout(r, 5));
      expect(responses(c.received())).toEqual(['HTTP/1.1 401']);
      // The rest of the body arrives after the answer, in pieces: the server reads and discards it.
      for (let i = 0; i < 5; i++) {
        c.socket.write(' '.repeat(10_000), recordError);
        await new Promise((r) => setTimeout(r, 20));
      }
      c.socket.end();
      const raw = await c.closed;
      expect(errors).toEqual([]);
      expect(responses(raw)).toEqual(['HTTP/1.1 401']);
    });

    it('closes the connection after a 401 whose body was never read: one answer, no second 408', async () => {
      const c = await connect(server.url);
      c.socket.write(
        'POST /v3/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n',
      );
      const raw = await c.closed;
      expect(responses(raw)).toEqual(['HTTP/1.1 401']);
      expect(raw.toLowerCase()).toContain('connection: close');
    });
  });

  it('refuses connections beyond maxConnections and serves again once they close', async () => {
    const server = await startTestServer({ limits: { maxConnections: 5 } });
    const open = () => new Promise<number>((r, j) => server.app.server.getConnections((e, n) => (e ? j(e) : r(n))));
    try {
      const held = await Promise.all(Array.from({ length: 5 }, () => connect(server.url)));
      for (let i = 0; i < 1000 && (await open()) < 5; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await open()).toBe(5);
      const extra = await connect(server.url);
      extra.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await extra.closed).toBe('');
      for (const h of held) h.socket.destroy();
      for (let i = 0; i < 1000 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect((await request(server.url, { path: '/health' })).status).toBe(200);
      expect(await gauge(server, 'odpkit_connections_refused_total')).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('answers a /health flood with at most one store write per second, shared by concurrent callers', async () => {
    const server = await startTestServer();
    try {
      let probes = 0;
      const healthCheck = server.store.healthCheck.bind(server.store);
      server.store.healthCheck = () => {
        probes++;
        return healthCheck();
      };
      const started = performance.now();
      const replies = await Promise.all(Array.from({ length: 200 }, () => request(server.url, { path: '/health' })));
      const seconds = (performance.now() - started) / 1000;
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(probes).toBeGreaterThanOrEqual(1);
      expect(probes).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    } finally {
      await server.close();
    }
  });
});
