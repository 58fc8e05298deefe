import { describe, expect, it } from 'vitest';
import { parseSegmentDefinition } from '../src/segments/definition.js';
import { evaluate, historyNeeded } from '../src/segments/evaluate.js';
import type { Condition, DataValue, StoredEvent } from '../src/segments/types.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

function condition(json: unknown): Condition {
  const parsed = parseSegmentDefinition({ name: 's', condition: json });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.value.condition;
}

function event(action: string, data: Record<string, DataValue> = {}, ageMs = 0, type = 'fullstack'): StoredEvent {
  return { type, action, identifiers: { fs_user_id: 'u1' }, data, receivedAt: NOW - ageMs };
}

function matches(
  json: unknown,
  events: StoredEvent[],
  options: { now?: number; identifiers?: Record<string, string[]> } = {},
) {
  return evaluate(condition(json), {
    identifiers: options.identifiers ?? { fs_user_id: ['u1'] },
    events,
    now: options.now ?? NOW,
  });
}

/** Whether one event with `data` satisfies `where: { value: test }`. */
function where(test: unknown, data: Record<string, DataValue>): boolean {
  return matches({ event: { action: 'a', where: { value: test } } }, [event('a', data)]);
}

describe('where operators', () => {
  it('eq matches the same type and value only', () => {
    expect(where({ eq: 'red' }, { value: 'red' })).toBe(true);
    expect(where({ eq: 'red' }, { value: 'Red' })).toBe(false);
    expect(where({ eq: 5 }, { value: 5 })).toBe(true);
    expect(where({ eq: 5 }, { value: '5' })).toBe(false);
    expect(where({ eq: true }, { value: true })).toBe(true);
    expect(where({ eq: null }, { value: null })).toBe(true);
    expect(where({ eq: null }, {})).toBe(false);
  });

  it('ne matches present values that differ, including other types, never a missing key', () => {
    expect(where({ ne: 'red' }, { value: 'blue' })).toBe(true);
    expect(where({ ne: 'red' }, { value: 'red' })).toBe(false);
    expect(where({ ne: 5 }, { value: '5' })).toBe(true);
    expect(where({ ne: 'red' }, {})).toBe(false);
  });

  it('gt compares numbers numerically and strings lexicographically', () => {
    expect(where({ gt: 9 }, { value: 10 })).toBe(true);
    expect(where({ gt: 10 }, { value: 10 })).toBe(false);
    expect(where({ gt: 'b' }, { value: 'c' })).toBe(true);
    // Lexicographic, not numeric, for strings: "10" sorts before "9".
    expect(where({ gt: '9' }, { value: '10' })).toBe(false);
  });

  it('gte includes the bound', () => {
    expect(where({ gte: 100 }, { value: 100 })).toBe(true);
    expect(where({ gte: 100 }, { value: 99.5 })).toBe(false);
    expect(where({ gte: '2026-01-01' }, { value: '2026-01-01' })).toBe(true);
  });

  it('lt excludes the bound', () => {
    expect(where({ lt: 0 }, { value: -1 })).toBe(true);
    expect(where({ lt: 0 }, { value: 0 })).toBe(false);
    expect(where({ lt: 'm' }, { value: 'apple' })).toBe(true);
  });

  it('lte includes the bound', () => {
    expect(where({ lte: 3 }, { value: 3 })).toBe(true);
    expect(where({ lte: 3 }, { value: 4 })).toBe(false);
  });

  it('ordering operators never match across types, null, booleans or a missing key', () => {
    expect(where({ gt: 5 }, { value: '10' })).toBe(false);
    expect(where({ lt: '5' }, { value: 1 })).toBe(false);
    expect(where({ gte: 0 }, { value: null })).toBe(false);
    expect(where({ gte: 0 }, { value: true })).toBe(false);
    expect(where({ lte: 100 }, {})).toBe(false);
  });

  it('in matches any listed value of the same type', () => {
    expect(where({ in: ['red', 'blue'] }, { value: 'blue' })).toBe(true);
    expect(where({ in: ['red', 'blue'] }, { value: 'green' })).toBe(false);
    expect(where({ in: [1, 2] }, { value: '1' })).toBe(false);
    expect(where({ in: [null, 'x'] }, { value: null })).toBe(true);
    expect(where({ in: ['red'] }, {})).toBe(false);
  });

  it('exists true needs a non-null value; exists false matches missing or null', () => {
    expect(where({ exists: true }, { value: 0 })).toBe(true);
    expect(where({ exists: true }, { value: '' })).toBe(true);
    expect(where({ exists: true }, { value: null })).toBe(false);
    expect(where({ exists: true }, {})).toBe(false);
    expect(where({ exists: false }, {})).toBe(true);
    expect(where({ exists: false }, { value: null })).toBe(true);
    expect(where({ exists: false }, { value: 'x' })).toBe(false);
  });

  it('several operators on one key must all hold (a range)', () => {
    expect(where({ gte: 10, lt: 20 }, { value: 15 })).toBe(true);
    expect(where({ gte: 10, lt: 20 }, { value: 20 })).toBe(false);
  });

  it('several keys must all hold', () => {
    const json = { event: { action: 'a', where: { price: { gte: 100 }, currency: { eq: 'EUR' } } } };
    expect(matches(json, [event('a', { price: 150, currency: 'EUR' })])).toBe(true);
    expect(matches(json, [event('a', { price: 150, currency: 'USD' })])).toBe(false);
  });
});

describe('type and action', () => {
  it('match exactly when given, and anything when omitted', () => {
    const events = [event('purchased', {}, 0, 'fullstack')];
    expect(matches({ event: { action: 'purchased' } }, events)).toBe(true);
    expect(matches({ event: { action: 'viewed' } }, events)).toBe(false);
    expect(matches({ event: { type: 'fullstack', action: 'purchased' } }, events)).toBe(true);
    expect(matches({ event: { type: 'web' } }, events)).toBe(false);
    expect(matches({ event: {} }, events)).toBe(true);
    expect(matches({ event: {} }, [])).toBe(false);
  });
});

describe('counts', () => {
  const three = [event('buy'), event('buy'), event('buy'), event('view')];

  it('default to at least one matching event', () => {
    expect(matches({ event: { action: 'buy' } }, three)).toBe(true);
    expect(matches({ event: { action: 'refund' } }, three)).toBe(false);
  });

  it('gte needs at least n matching events', () => {
    expect(matches({ event: { action: 'buy' }, count: { gte: 3 } }, three)).toBe(true);
    expect(matches({ event: { action: 'buy' }, count: { gte: 4 } }, three)).toBe(false);
  });

  it('lte alone allows zero and at most n', () => {
    expect(matches({ event: { action: 'buy' }, count: { lte: 3 } }, three)).toBe(true);
    expect(matches({ event: { action: 'buy' }, count: { lte: 2 } }, three)).toBe(false);
    expect(matches({ event: { action: 'refund' }, count: { lte: 0 } }, three)).toBe(true);
  });

  it('gte and lte together bound both sides', () => {
    expect(matches({ event: { action: 'buy' }, count: { gte: 2, lte: 3 } }, three)).toBe(true);
    expect(matches({ event: { action: 'buy' }, count: { gte: 1, lte: 2 } }, three)).toBe(false);
    expect(matches({ event: { action: 'view' }, count: { gte: 2, lte: 3 } }, three)).toBe(false);
  });
});

describe('sliding windows', () => {
  const bigSpender = {
    event: { action: 'purchased', where: { price: { gte: 100 } } },
    count: { gte: 2 },
    within: '30d',
  };
  // Two qualifying purchases, 10 and 25 days before NOW; nothing happens afterwards.
  const history = [event('purchased', { price: 120 }, 10 * DAY), event('purchased', { price: 300 }, 25 * DAY)];

  it('membership drops by itself when the window slides past an event, without new events', () => {
    expect(matches(bigSpender, history, { now: NOW })).toBe(true);
    // 4 days later the older purchase is 29 days old: still inside.
    expect(matches(bigSpender, history, { now: NOW + 4 * DAY })).toBe(true);
    // 5 days later it is exactly 30 days old: out of the window, only one purchase remains.
    expect(matches(bigSpender, history, { now: NOW + 5 * DAY })).toBe(false);
  });

  it('an event exactly one window old is outside; one ms younger is inside', () => {
    const json = { event: { action: 'a' }, within: '1h' };
    expect(matches(json, [event('a', {}, 3_600_000)])).toBe(false);
    expect(matches(json, [event('a', {}, 3_599_999)])).toBe(true);
  });

  it('supports s, m, h and d units', () => {
    const e = [event('a', {}, 90_000)]; // 90 s old
    expect(matches({ event: { action: 'a' }, within: '60s' }, e)).toBe(false);
    expect(matches({ event: { action: 'a' }, within: '2m' }, e)).toBe(true);
    expect(matches({ event: { action: 'a' }, within: '1h' }, e)).toBe(true);
    expect(matches({ event: { action: 'a' }, within: '1d' }, e)).toBe(true);
  });

  it('a "did not" segment (lte 0 within a window) qualifies again once the event ages out', () => {
    const noRecentPurchase = { event: { action: 'purchased' }, count: { lte: 0 }, within: '7d' };
    const purchase = [event('purchased', {}, 6 * DAY)];
    expect(matches(noRecentPurchase, purchase, { now: NOW })).toBe(false);
    expect(matches(noRecentPurchase, purchase, { now: NOW + DAY })).toBe(true);
  });

  it('ignores events older than the window even if they arrive out of order', () => {
    const json = { event: { action: 'a' }, count: { gte: 2 }, within: '1d' };
    const shuffled = [event('a', {}, 2 * DAY), event('a', {}, 1000), event('a', {}, 3 * DAY), event('a', {}, 2000)];
    expect(matches(json, shuffled)).toBe(true);
    expect(matches({ ...json, count: { gte: 3 } }, shuffled)).toBe(false);
  });
});

describe('identifier conditions', () => {
  it('hold when the customer has at least one value of the identifier type', () => {
    const ids = { fs_user_id: ['u1'], email: ['a@example.com'] };
    expect(matches({ identifier: 'email' }, [], { identifiers: ids })).toBe(true);
    expect(matches({ identifier: 'vuid' }, [], { identifiers: ids })).toBe(false);
    expect(matches({ identifier: 'email' }, [], { identifiers: { email: [] } })).toBe(false);
  });

  it('normalise fs-user-id spellings the way ingestion does', () => {
    expect(matches({ identifier: 'FS-USER-ID' }, [], { identifiers: { fs_user_id: ['u1'] } })).toBe(true);
  });
});

describe('and, or, not and nesting', () => {
  const events = [event('purchased', { price: 50 }), event('viewed')];
  const ids = { fs_user_id: ['u1'], email: ['a@example.com'] };
  const t = { event: { action: 'purchased' } };
  const f = { event: { action: 'refunded' } };

  it('and needs every condition', () => {
    expect(matches({ and: [t, { identifier: 'email' }] }, events, { identifiers: ids })).toBe(true);
    expect(matches({ and: [t, f] }, events)).toBe(false);
  });

  it('or needs any condition', () => {
    expect(matches({ or: [f, t] }, events)).toBe(true);
    expect(matches({ or: [f, f] }, events)).toBe(false);
  });

  it('not inverts, including for windowed counts', () => {
    expect(matches({ not: t }, events)).toBe(false);
    expect(matches({ not: f }, events)).toBe(true);
    const recent = { event: { action: 'purchased' }, within: '1d' };
    const old = [event('purchased', {}, 2 * DAY)];
    expect(matches({ not: recent }, old)).toBe(true);
    expect(matches({ not: recent }, old, { now: NOW - 1.5 * DAY })).toBe(false);
  });

  it('nests: has email and (bought over 40 or viewed) and not refunded', () => {
    const json = {
      and: [
        { identifier: 'email' },
        { or: [{ event: { action: 'purchased', where: { price: { gt: 40 } } } }, { event: { action: 'viewed' } }] },
        { not: { event: { action: 'refunded' } } },
      ],
    };
    expect(matches(json, events, { identifiers: ids })).toBe(true);
    expect(matches(json, [...events, event('refunded')], { identifiers: ids })).toBe(false);
    expect(matches(json, events, { identifiers: { fs_user_id: ['u1'] } })).toBe(false);
    expect(matches(json, [event('purchased', { price: 10 })], { identifiers: ids })).toBe(false);
  });
});

describe('historyNeeded', () => {
  it('needs no events for identifier-only conditions', () => {
    expect(historyNeeded([condition({ identifier: 'email' })])).toEqual({ events: false });
  });

  it('needs the largest window, also through not', () => {
    const c1 = condition({ event: { action: 'a' }, within: '1d' });
    const c2 = condition({ not: { event: { action: 'b' }, within: '30d' } });
    expect(historyNeeded([c1, c2])).toEqual({ events: true, windowMs: 30 * DAY });
  });

  it('needs the whole history when any event condition has no window', () => {
    const c1 = condition({ event: { action: 'a' }, within: '1d' });
    const c2 = condition({ and: [{ identifier: 'email' }, { not: { event: { action: 'b' }, count: { lte: 1 } } }] });
    expect(historyNeeded([c1, c2])).toEqual({ events: true, windowMs: null });
  });
});
