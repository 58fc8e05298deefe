import { createOdpClient, SDK_VERSION } from '@odpkit/sdk';
import { WIRE_LIMITS } from '@odpkit/sdk/limits';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { type Sink, startSink } from './helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(() => sink.close());

const ID = { fs_user_id: 'user-1' };
const DATA_RULE = 'must be a string, finite number, boolean or null';

/** Sends one call's arguments; asserts the event was rejected with exactly `reason`, logged once, and not sent. */
async function expectRejected(args: unknown[], reason: string, options = {}) {
  const before = sink.requests.length;
  const { client, outcomes, logger } = clientFor(sink, options);
  expect(() => (client.sendOdpEvent as (...a: unknown[]) => void)(...args)).not.toThrow();
  const summary = await client.close();
  expect(outcomes).toEqual([{ status: 'rejected', code: 'invalid_event', reason }]);
  expect(logger.errors()).toEqual([`odpkit: event rejected: ${reason}`]);
  expect(summary).toMatchObject({ sent: 0, failed: 0, dropped: 0, rejected: 1, reasons: { [reason]: 1 } });
  expect(sink.requests.length).toBe(before);
}

describe('action', () => {
  it.each([
    [undefined, 'undefined'],
    ['', 'string ""'],
    ['   ', 'string "   "'],
    [5, 'number 5'],
    [null, 'null'],
  ])('rejects %j', async (action, got) => {
    await expectRejected([action, ID], `action must be a non-empty string (got ${got})`);
  });
});

describe('type', () => {
  it('rejects a non-string type', async () => {
    await expectRejected(['a', ID, 7], 'type must be a string when given (got number 7)');
  });

  it.each([undefined, null, ''])('defaults %j to fullstack', async (type) => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    client.sendOdpEvent('a', ID, type as string);
    expect((await client.close()).sent).toBe(1);
    expect(sink.events[before]!.type).toBe('fullstack');
  });
});

describe('identifiers', () => {
  it.each([
    [null, 'identifiers must be a plain object or a Map (got null)'],
    [undefined, 'identifiers must be a plain object or a Map (got undefined)'],
    [['fs_user_id', 'u'], 'identifiers must be a plain object or a Map (got array)'],
    ['user-1', 'identifiers must be a plain object or a Map (got string "user-1")'],
    [new Set(['u']), 'identifiers must be a plain object or a Map (got Set)'],
    [{}, 'identifiers must contain at least one identifier with a non-empty string value'],
    [new Map(), 'identifiers must contain at least one identifier with a non-empty string value'],
    [{ email: '' }, 'identifiers.email must be a non-empty string (got string "")'],
    [{ fs_user_id: 'u', age: 5 }, 'identifiers.age must be a non-empty string (got number 5)'],
    [{ fs_user_id: 'u', email: undefined }, 'identifiers.email must be a non-empty string (got undefined)'],
    [{ fs_user_id: 'u', email: null }, 'identifiers.email must be a non-empty string (got null)'],
    [new Map<unknown, string>([[1, 'x']]), 'identifiers has a key that is not a string (number 1)'],
    [{ '': 'x' }, 'identifiers has an empty key'],
    [
      { fs_user_id: 'a', 'FS-USER-ID': 'b' },
      'identifiers.fs_user_id and identifiers.FS-USER-ID both mean fs_user_id but have different values',
    ],
    [{ 'my id': 7 }, 'identifiers["my id"] must be a non-empty string (got number 7)'],
  ])('rejects %o', async (identifiers, reason) => {
    await expectRejected(['a', identifiers], reason);
  });

  it('rejects identifiers whose getter throws, naming the error', async () => {
    const ids = {
      get fs_user_id(): string {
        throw new Error('boom');
      },
    };
    await expectRejected(['a', ids], 'identifiers could not be read (Error: boom)');
  });
});

describe('data', () => {
  it.each([
    [{ price: Number.NaN }, `data.price ${DATA_RULE} (got NaN)`],
    [{ price: Number.POSITIVE_INFINITY }, `data.price ${DATA_RULE} (got Infinity)`],
    [{ price: Number.NEGATIVE_INFINITY }, `data.price ${DATA_RULE} (got -Infinity)`],
    [{ price: undefined }, `data.price ${DATA_RULE} (got undefined)`],
    [{ item: { sku: 1 } }, `data.item ${DATA_RULE} (got object)`],
    [{ items: [1, 2] }, `data.items ${DATA_RULE} (got array)`],
    [{ n: 10n }, `data.n ${DATA_RULE} (got bigint)`],
    [{ f: () => 1 }, `data.f ${DATA_RULE} (got function)`],
    [{ s: Symbol('x') }, `data.s ${DATA_RULE} (got symbol)`],
    [{ at: new Date(0) }, `data.at ${DATA_RULE} (got Date)`],
    [{ 'my key': {} }, `data["my key"] ${DATA_RULE} (got object)`],
    [new Map<unknown, unknown>([[1, 'x']]), 'data has a key that is not a string (number 1)'],
    ['price=5', 'data must be a plain object or a Map (got string "price=5")'],
    [[1], 'data must be a plain object or a Map (got array)'],
  ])('rejects %o', async (data, reason) => {
    await expectRejected(['a', ID, undefined, data], reason);
  });

  it('accepts every allowed value type, from an object and from a Map', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    const values = { s: 'x', n: -1.5, z: 0, t: true, f: false, nil: null };
    client.sendOdpEvent('a', ID, 'custom', values);
    client.sendOdpEvent('a', new Map(Object.entries(ID)), 'custom', new Map(Object.entries(values)));
    expect((await client.close()).sent).toBe(2);
    for (const e of sink.events.slice(before)) expect(e.data).toMatchObject(values);
  });
});

describe('size caps', () => {
  it('rejects a single huge string before serialising it', async () => {
    await expectRejected(
      ['a', ID, undefined, { blob: 'x'.repeat(70_000) }],
      'data.blob is 70000 characters, over the maxEventBytes limit (65536 bytes)',
    );
  });

  it('rejects an event whose exact UTF-8 size passes maxEventBytes, though its character count does not', async () => {
    // é is 1 UTF-16 unit but 2 UTF-8 bytes: about 750 characters, about 1,250 bytes on the wire.
    const data = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'é'.repeat(100)]));
    const { client, outcomes } = clientFor(sink, { maxEventBytes: 1024 });
    client.sendOdpEvent('a', ID, undefined, data);
    await client.close();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.reason).toMatch(
      /^event is 1\d{3} bytes serialised, over the maxEventBytes limit \(1024 bytes\)$/,
    );
  });

  it('rejects an event that is over maxEventBytes by character count alone without encoding it', async () => {
    const data = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(200)]));
    const { client, outcomes } = clientFor(sink, { maxEventBytes: 1024 });
    client.sendOdpEvent('a', ID, undefined, data);
    await client.close();
    expect(outcomes[0]!.reason).toMatch(
      /^event is at least 2\d{3} bytes serialised, over the maxEventBytes limit \(1024 bytes\)$/,
    );
  });
});

describe('call forms', () => {
  it('reads a first argument that is not an event object as the action', async () => {
    await expectRejected([[1], ID], 'action must be a non-empty string (got array)');
  });

  it('rejects an event object whose getter throws', async () => {
    const ev = {
      get action(): string {
        throw new TypeError('nope');
      },
    };
    await expectRejected([ev], 'the event object could not be read (TypeError: nope)');
  });

  it('validates the object form with the same rules', async () => {
    await expectRejected([{ action: 'a', identifiers: ID, data: { p: Number.NaN } }], `data.p ${DATA_RULE} (got NaN)`);
  });
});

describe('__proto__ keys', () => {
  it('carries __proto__ as an ordinary own key without touching any prototype', async () => {
    const { client } = clientFor(sink);
    const before = sink.requests.length;
    const identifiers = JSON.parse('{"fs_user_id":"u","__proto__":"p"}') as Record<string, string>;
    const data = JSON.parse('{"__proto__":"d","constructor":"c"}') as Record<string, string>;
    client.sendOdpEvent('a', identifiers, undefined, data);
    expect((await client.close()).sent).toBe(1);
    const body = sink.requests[before]!.body;
    expect(body).toContain('"identifiers":{"fs_user_id":"u","__proto__":"p"}');
    expect(body).toContain('"__proto__":"d","constructor":"c"}');
    expect(({} as Record<string, unknown>).p).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('rejects a __proto__ object value in data and pollutes nothing', async () => {
    await expectRejected(
      ['a', ID, undefined, JSON.parse('{"__proto__":{"polluted":true}}')],
      `data.__proto__ ${DATA_RULE} (got object)`,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('wire limits: the same as the server, read from WIRE_LIMITS (at the limit passes, one over is rejected)', () => {
  const L = WIRE_LIMITS;

  /** Sends one call's arguments and asserts it reached the wire; returns the event as the sink got it. */
  async function expectSent(args: unknown[], options = {}) {
    const { client, outcomes } = clientFor(sink, options);
    const before = sink.events.length;
    (client.sendOdpEvent as (...a: unknown[]) => void)(...args);
    await client.close();
    expect(outcomes.map((o) => [o.status, o.reason])).toEqual([['sent', 'accepted by the server (HTTP 202)']]);
    return sink.events[before]!;
  }

  it('action: maxNameLength characters', async () => {
    expect((await expectSent(['a'.repeat(L.maxNameLength), ID])).action).toHaveLength(L.maxNameLength);
    await expectRejected(
      ['a'.repeat(L.maxNameLength + 1), ID],
      `action is ${L.maxNameLength + 1} characters, over the ${L.maxNameLength}-character limit for action`,
    );
  });

  it('type: maxNameLength characters, and a blank type is refused like the server does', async () => {
    expect((await expectSent(['a', ID, 't'.repeat(L.maxNameLength)])).type).toHaveLength(L.maxNameLength);
    await expectRejected(
      ['a', ID, 't'.repeat(L.maxNameLength + 1)],
      `type is ${L.maxNameLength + 1} characters, over the ${L.maxNameLength}-character limit for type`,
    );
    await expectRejected(['a', ID, '  '], 'type must be a non-empty string (got string "  ")');
  });

  it('identifier keys: maxIdentifierKeyLength characters, not blank', async () => {
    const atLimit = 'k'.repeat(L.maxIdentifierKeyLength);
    expect(Object.keys((await expectSent(['a', { [atLimit]: 'v' }])).identifiers)).toEqual([atLimit]);
    const over = 'k'.repeat(L.maxIdentifierKeyLength + 1);
    await expectRejected(
      ['a', { [over]: 'v' }],
      `identifiers has a key of ${over.length} characters (string of ${over.length} characters), over the ${L.maxIdentifierKeyLength}-character limit for identifier keys`,
    );
    await expectRejected(['a', { ' \t': 'v' }], 'identifiers has an empty key (string " \\t")');
  });

  it('identifiers per event: maxIdentifiersPerEvent, counted after fs_user_id spellings collapse', async () => {
    const ids = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`id${i}`, 'v']));
    expect(Object.keys((await expectSent(['a', ids(L.maxIdentifiersPerEvent)])).identifiers)).toHaveLength(
      L.maxIdentifiersPerEvent,
    );
    // Two spellings of fs_user_id with one value are one identifier on the wire.
    const collapsed = { ...ids(L.maxIdentifiersPerEvent - 1), fs_user_id: 'u', 'FS-USER-ID': 'u' };
    expect(Object.keys((await expectSent(['a', collapsed])).identifiers)).toHaveLength(L.maxIdentifiersPerEvent);
    await expectRejected(
      ['a', ids(L.maxIdentifiersPerEvent + 1)],
      `identifiers has more than ${L.maxIdentifiersPerEvent} keys, the limit for one event`,
    );
  });

  it('data.idempotence_id: a non-empty string of at most maxIdempotenceIdLength characters; null means absent', async () => {
    const id = 'i'.repeat(L.maxIdempotenceIdLength);
    expect((await expectSent(['a', ID, undefined, { idempotence_id: id }])).data.idempotence_id).toBe(id);
    const rule = `data.idempotence_id must be a non-empty string of at most ${L.maxIdempotenceIdLength} characters`;
    await expectRejected(
      ['a', ID, undefined, { idempotence_id: `${id}i` }],
      `${rule} (got ${L.maxIdempotenceIdLength + 1} characters)`,
    );
    await expectRejected(['a', ID, undefined, { idempotence_id: '' }], `${rule} (got string "")`);
    await expectRejected(['a', ID, undefined, { idempotence_id: 7 }], `${rule} (got number 7)`);
    const ownId = (await expectSent(['a', ID, undefined, { idempotence_id: null, x: 1 }])).data;
    expect(ownId.idempotence_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ownId.x).toBe(1);
  });

  it('numbers in data: integers up to Number.MAX_SAFE_INTEGER; beyond, send it as a string', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect((await expectSent(['a', ID, undefined, { n: max, m: -max, f: 0.5 }])).data).toMatchObject({
      n: max,
      m: -max,
      f: 0.5,
    });
    for (const n of [max + 1, -(max + 1), 1e300]) {
      await expectRejected(
        ['a', ID, undefined, { n }],
        `data.n is ${n}, beyond Number.MAX_SAFE_INTEGER (${max}) where integers lose precision; send it as a string`,
      );
    }
  });

  it('one event: maxEventBytes of serialised UTF-8', async () => {
    const id = 'x'.repeat(36);
    const base = JSON.stringify({
      type: 'fullstack',
      action: 'a',
      identifiers: ID,
      data: {
        idempotence_id: id,
        data_source_type: 'sdk',
        data_source: 'odpkit-sdk',
        data_source_version: SDK_VERSION,
        pad: '',
      },
    }).length;
    const pad = 'p'.repeat(L.maxEventBytes - base);
    expect((await expectSent(['a', ID, undefined, { idempotence_id: id, pad }])).data.pad).toBe(pad);
    await expectRejected(
      ['a', ID, undefined, { idempotence_id: id, pad: `${pad}p` }],
      `event is at least ${L.maxEventBytes + 1} bytes serialised, over the maxEventBytes limit (${L.maxEventBytes} bytes)`,
    );
    // Multi-byte: the same count of characters is over the limit once encoded.
    await expectRejected(
      ['a', ID, undefined, { idempotence_id: id, pad: `${pad.slice(1)}é` }],
      `event is ${L.maxEventBytes + 1} bytes serialised, over the maxEventBytes limit (${L.maxEventBytes} bytes)`,
    );
  });

  it('options cannot go past the wire limits: maxEventBytes and batch sizes', () => {
    const odp = { apiKey: 'k', apiHost: 'http://h' };
    expect(() =>
      createOdpClient({ odp, maxEventBytes: L.maxEventBytes, batchSize: L.maxEventsPerRequest }),
    ).not.toThrow();
    expect(() => createOdpClient({ odp, maxEventBytes: L.maxEventBytes + 1 })).toThrow(
      `odpkit: option maxEventBytes must be a finite number between 64 and ${L.maxEventBytes} (got ${L.maxEventBytes + 1})`,
    );
    expect(() => createOdpClient({ odp, batchSize: L.maxEventsPerRequest + 1 })).toThrow(
      `odpkit: option batchSize must be a finite number between 1 and ${L.maxEventsPerRequest}`,
    );
    expect(() => createOdpClient({ odp, maxBatchSize: L.maxEventsPerRequest + 1 })).toThrow(
      `odpkit: option maxBatchSize must be a finite number between 10 and ${L.maxEventsPerRequest}`,
    );
  });
});

describe('argument order', () => {
  it('names the expected order when the arguments follow the official JavaScript SDK (action, type, identifiers, data)', async () => {
    const order =
      'the arguments look like the official JavaScript SDK order sendOdpEvent(action, type, identifiers, data); this SDK takes sendOdpEvent(action, identifiers, type, data)';
    await expectRejected(
      ['purchased', 'fullstack', new Map([['fs_user_id', 'u']]), new Map([['price', 5]])],
      `identifiers must be a plain object or a Map (got string "fullstack"); ${order}`,
    );
    await expectRejected(
      ['purchased', 'fullstack', { fs_user_id: 'u' }],
      `identifiers must be a plain object or a Map (got string "fullstack"); ${order}`,
    );
  });
});
