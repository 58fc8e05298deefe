import { SDK_VERSION } from '@odpkit/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, TEST_KEY } from './helpers/client.js';
import { type Sink, startSink } from './helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(() => sink.close());

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('wire format', () => {
  it('POSTs a JSON array to {host}/v3/events with content-type and x-api-key', async () => {
    const { client } = clientFor(sink);
    const before = sink.requests.length;
    client.sendOdpEvent('purchased', { fs_user_id: 'user123', email: 'x@example.com' }, 'fullstack', {
      item: 'shirt',
      price: 50,
    });
    await client.close();
    const req = sink.requests[before]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v3/events');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-api-key']).toBe(TEST_KEY);
    expect(Number(req.headers['content-length'])).toBe(Buffer.byteLength(req.body));
    const body = JSON.parse(req.body);
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(1);
    const [event] = body;
    // Key order is part of the contract: type, action, identifiers, data; default data first.
    expect(Object.keys(event)).toEqual(['type', 'action', 'identifiers', 'data']);
    expect(Object.keys(event.data)).toEqual([
      'idempotence_id',
      'data_source_type',
      'data_source',
      'data_source_version',
      'item',
      'price',
    ]);
    expect(event).toEqual({
      type: 'fullstack',
      action: 'purchased',
      identifiers: { fs_user_id: 'user123', email: 'x@example.com' },
      data: {
        idempotence_id: expect.stringMatching(UUID_V4),
        data_source_type: 'sdk',
        data_source: 'odpkit-sdk',
        data_source_version: SDK_VERSION,
        item: 'shirt',
        price: 50,
      },
    });
  });

  it('lets caller data override defaults, keeping the default key position', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    client.sendOdpEvent('a', { vuid: 'v1' }, undefined, {
      extra: 1,
      data_source: 'my-app',
      idempotence_id: 'fixed-id',
    });
    await client.close();
    const e = sink.events[before]!;
    expect(Object.entries(e.data)).toEqual([
      ['idempotence_id', 'fixed-id'],
      ['data_source_type', 'sdk'],
      ['data_source', 'my-app'],
      ['data_source_version', SDK_VERSION],
      ['extra', 1],
    ]);
  });

  it('gives every event its own idempotence_id', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    for (let i = 0; i < 20; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
    await client.close();
    const ids = new Set(sink.events.slice(before).map((e) => e.data.idempotence_id));
    expect(ids.size).toBe(20);
  });

  it.each(['FS-USER-ID', 'fs-user-id', 'FS_USER_ID', 'Fs_User_Id', 'fs_user_id'])(
    'normalises %s to fs_user_id in place',
    async (key) => {
      const { client } = clientFor(sink);
      const before = sink.requests.length;
      client.sendOdpEvent(
        'a',
        new Map([
          ['email', 'e@x.io'],
          [key, 'u1'],
          ['vuid', 'v'],
        ]),
      );
      await client.close();
      const body = sink.requests[before]!.body;
      expect(body).toContain('"identifiers":{"email":"e@x.io","fs_user_id":"u1","vuid":"v"}');
    },
  );

  it('keeps look-alike keys that are not aliases unchanged', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    client.sendOdpEvent('a', { 'fs_user-id': 'a', 'fs.user.id': 'b', fsuserid: 'c' });
    await client.close();
    expect(sink.events[before]!.identifiers).toEqual({ 'fs_user-id': 'a', 'fs.user.id': 'b', fsuserid: 'c' });
  });

  it('collapses two spellings of fs_user_id with the same value into one', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    client.sendOdpEvent('a', { 'FS-USER-ID': 'u', fs_user_id: 'u' });
    await client.close();
    expect(sink.events[before]!.identifiers).toEqual({ fs_user_id: 'u' });
  });

  it('sends the object call form identically to the positional one', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    client.sendOdpEvent({ action: 'a', identifiers: { vuid: 'v' }, type: 't', data: { k: 'v' } });
    client.sendOdpEvent('a', { vuid: 'v' }, 't', { k: 'v' });
    await client.close();
    const [x, y] = sink.events.slice(before).map((e) => ({ ...e, data: { ...e.data, idempotence_id: 0 } }));
    expect(x).toEqual(y);
  });

  it('copies inputs at send time: later mutation by the caller changes nothing', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    const ids = { fs_user_id: 'before' };
    const data = { n: 1 };
    client.sendOdpEvent('a', ids, undefined, data);
    ids.fs_user_id = 'after';
    data.n = 2;
    await client.close();
    expect(sink.events[before]!.identifiers.fs_user_id).toBe('before');
    expect(sink.events[before]!.data.n).toBe(1);
  });

  it('carries non-ASCII text intact and counts its bytes exactly', async () => {
    const { client } = clientFor(sink);
    const before = sink.requests.length;
    client.sendOdpEvent('achat', { email: 'zoë@exämple.fr' }, undefined, { note: '日本語 😀' });
    await client.close();
    const req = sink.requests[before]!;
    expect(Number(req.headers['content-length'])).toBe(Buffer.byteLength(req.body));
    expect(JSON.parse(req.body)[0].data.note).toBe('日本語 😀');
  });
});
