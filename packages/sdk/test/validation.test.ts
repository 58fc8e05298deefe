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
