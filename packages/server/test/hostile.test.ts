import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminGet, describeStores, event, postEvents, request, startTestServer, type TestServer } from './helpers.js';

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
