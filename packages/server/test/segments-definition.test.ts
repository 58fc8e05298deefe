import { describe, expect, it } from 'vitest';
import { parseDuration, parseSegmentDefinition, parseSegmentFile } from '../src/segments/definition.js';

function errorsOf(input: unknown): string[] {
  const result = parseSegmentDefinition(input);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

function fileErrors(input: unknown): string[] {
  const result = parseSegmentFile(input);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('parseSegmentDefinition: normalised output', () => {
  it('turns the README example into the typed form with the window in ms', () => {
    const result = parseSegmentDefinition({
      name: 'big_spender',
      condition: { event: { action: 'purchased', where: { price: { gte: 100 } } }, count: { gte: 2 }, within: '30d' },
    });
    expect(result).toMatchObject({
      ok: true,
      value: {
        name: 'big_spender',
        description: null,
        condition: {
          kind: 'event',
          type: null,
          action: 'purchased',
          where: [{ key: 'price', tests: [{ op: 'gte', value: 100 }] }],
          count: { gte: 2, lte: null },
          windowMs: 30 * 86_400_000,
        },
      },
    });
  });

  it('defaults count to gte 1, and to gte 0 when only lte is given', () => {
    const a = parseSegmentDefinition({ name: 'a', condition: { event: { action: 'x' } } });
    const b = parseSegmentDefinition({ name: 'b', condition: { event: { action: 'x' }, count: { lte: 0 } } });
    expect(a.ok && a.value.condition).toMatchObject({ count: { gte: 1, lte: null }, windowMs: null });
    expect(b.ok && b.value.condition).toMatchObject({ count: { gte: 0, lte: 0 } });
  });

  it('keeps the source as written, for listing', () => {
    const input = { name: 'e', description: 'has email', condition: { identifier: 'email' } };
    const result = parseSegmentDefinition(input);
    expect(result.ok && result.value.source).toEqual(input);
    expect(result.ok && result.value.description).toBe('has email');
  });

  it('parses and/or/not trees', () => {
    const result = parseSegmentDefinition({
      name: 'n',
      condition: { and: [{ identifier: 'email' }, { not: { or: [{ event: { type: 'web' } }] } }] },
    });
    expect(result.ok && result.value.condition).toEqual({
      kind: 'and',
      conditions: [
        { kind: 'identifier', key: 'email' },
        {
          kind: 'not',
          condition: {
            kind: 'or',
            conditions: [
              { kind: 'event', type: 'web', action: null, where: [], count: { gte: 1, lte: null }, windowMs: null },
            ],
          },
        },
      ],
    });
  });
});

describe('parseSegmentDefinition: errors', () => {
  it('names an unknown operator and the expected ones', () => {
    expect(
      errorsOf({ name: 's', condition: { event: { action: 'purchased', where: { price: { gtee: 100 } } } } }),
    ).toEqual([
      'condition.event.where.price: unknown operator "gtee" (expected one of eq, ne, gt, gte, lt, lte, in, exists)',
    ]);
  });

  it('explains a bad window', () => {
    expect(errorsOf({ name: 's', condition: { event: { action: 'a' }, within: '30x' } })).toEqual([
      'condition.within: "30x" is not a duration (use a number followed by s, m, h or d, e.g. "30d")',
    ]);
    expect(errorsOf({ name: 's', condition: { event: { action: 'a' }, within: 30 } })).toEqual([
      'condition.within: number 30 is not a duration (use a number followed by s, m, h or d, e.g. "30d")',
    ]);
    expect(errorsOf({ name: 's', condition: { event: { action: 'a' }, within: '0d' } })).toEqual([
      'condition.within: "0d" must be longer than zero',
    ]);
  });

  it('rejects an empty and / or', () => {
    expect(errorsOf({ name: 's', condition: { and: [] } })).toEqual(['condition.and: must be a non-empty array']);
    expect(errorsOf({ name: 's', condition: { or: {} } })).toEqual(['condition.or: must be a non-empty array']);
  });

  it('rejects unknown keys at every level', () => {
    expect(
      errorsOf({
        name: 's',
        colour: 'red',
        condition: { event: { action: 'a', when: 'now' }, count: { gte: 1, max: 2 }, within: '1d', extra: 1 },
      }),
    ).toEqual([
      'unknown key "colour" (expected name, description, condition)',
      'condition: unknown key "extra" (expected event, count, within)',
      'condition.count: unknown key "max" (expected gte, lte)',
      'condition.event: unknown key "when" (expected type, action, where)',
    ]);
  });

  it('requires exactly one condition kind', () => {
    expect(errorsOf({ name: 's', condition: { and: [{ identifier: 'e' }], or: [{ identifier: 'e' }] } })).toEqual([
      'condition: must have exactly one of and, or, not, identifier, event (found and and or)',
    ]);
    expect(errorsOf({ name: 's', condition: { evnt: {} } })).toEqual([
      'condition: must have exactly one of and, or, not, identifier, event (found "evnt")',
    ]);
  });

  it('checks operand types', () => {
    expect(
      errorsOf({
        name: 's',
        condition: {
          event: {
            where: { a: { gt: true }, b: { in: [] }, c: { exists: 'yes' }, d: { eq: [1] }, e: { in: [1, {}] } },
          },
        },
      }),
    ).toEqual([
      'condition.event.where.a.gt: must be a string or a finite number (got boolean true)',
      'condition.event.where.b.in: must be a non-empty array',
      'condition.event.where.c.exists: must be true or false (got the string "yes")',
      'condition.event.where.d.eq: must be a string, finite number, boolean or null (got an array)',
      'condition.event.where.e.in[1]: must be a string, finite number, boolean or null (got object)',
    ]);
  });

  it('checks counts', () => {
    expect(errorsOf({ name: 's', condition: { event: {}, count: { gte: 3, lte: 1 } } })).toEqual([
      'condition.count: gte (3) is greater than lte (1): no customer could ever match',
    ]);
    expect(errorsOf({ name: 's', condition: { event: {}, count: { gte: 1.5 } } })).toEqual([
      'condition.count.gte: must be a whole number from 0 to 1000 (got number 1.5)',
    ]);
    // The bound caps the state kept per customer (the newest `gte` timestamps of a windowed condition).
    expect(errorsOf({ name: 's', condition: { event: {}, count: { lte: 1001 }, within: '1d' } })).toEqual([
      'condition.count.lte: must be a whole number from 0 to 1000 (got number 1001)',
    ]);
    expect(parseSegmentDefinition({ name: 's', condition: { event: {}, count: { gte: 1000 }, within: '1d' } }).ok).toBe(
      true,
    );
    expect(errorsOf({ name: 's', condition: { event: {}, count: {} } })).toEqual([
      'condition.count: must be an object with gte and/or lte, e.g. { "gte": 2 }',
    ]);
  });

  it('quotes data keys that are not plain names in paths', () => {
    expect(errorsOf({ name: 's', condition: { event: { where: { 'order total': { gtee: 1 } } } } })).toEqual([
      'condition.event.where["order total"]: unknown operator "gtee" (expected one of eq, ne, gt, gte, lt, lte, in, exists)',
    ]);
  });

  it('checks names', () => {
    expect(errorsOf({ name: '', condition: { identifier: 'email' } })).toEqual([
      'name: must be a non-empty string (got the string "")',
    ]);
    expect(errorsOf({ name: 'a/b', condition: { identifier: 'email' } })).toEqual([
      'name: "a/b" may contain only letters, digits, "_", "-" and "." and must not start with "-" or "."',
    ]);
    expect(errorsOf({ condition: { identifier: 'email' } })).toEqual(['name: is required']);
  });

  it('requires a condition and reports all problems at once', () => {
    expect(errorsOf({ name: 7 })).toEqual([
      'name: must be a non-empty string (got number 7)',
      'condition: is required',
    ]);
  });

  it('bounds nesting depth', () => {
    let deep: unknown = { identifier: 'email' };
    for (let i = 0; i < 30; i++) deep = { not: deep };
    const errors = errorsOf({ name: 's', condition: deep });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/conditions are nested more than 20 levels deep$/);
  });
});

describe('parseSegmentFile', () => {
  it('accepts an array of definitions', () => {
    const result = parseSegmentFile([
      { name: 'a', condition: { identifier: 'email' } },
      { name: 'b', condition: { event: { action: 'x' } } },
    ]);
    expect(result.ok && result.value.map((d) => d.name)).toEqual(['a', 'b']);
  });

  it('prefixes errors with the index in the file', () => {
    expect(
      fileErrors([
        { name: 'a', condition: { identifier: 'email' } },
        { name: 'b', condition: { identifier: 'email' } },
        { name: 'c', condition: { and: [] } },
        { name: 'd', condition: { event: { where: { price: { gtee: 1 } } }, within: '30x' } },
      ]),
    ).toEqual([
      'segments[2].condition.and: must be a non-empty array',
      'segments[3].condition.event.where.price: unknown operator "gtee" (expected one of eq, ne, gt, gte, lt, lte, in, exists)',
      'segments[3].condition.within: "30x" is not a duration (use a number followed by s, m, h or d, e.g. "30d")',
    ]);
  });

  it('rejects duplicate names', () => {
    expect(
      fileErrors([
        { name: 'a', condition: { identifier: 'email' } },
        { name: 'b', condition: { identifier: 'email' } },
        { name: 'a', condition: { identifier: 'vuid' } },
      ]),
    ).toEqual(['segments[2].name: duplicate name "a" (also used by segments[0])']);
  });

  it('rejects anything but an array', () => {
    expect(fileErrors({ name: 'a' })).toEqual(['segments: must be a JSON array of segment definitions (got object)']);
  });
});

describe('parseDuration', () => {
  it('converts each unit to ms', () => {
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('30d')).toBe(2_592_000_000);
    expect(parseDuration('1.5d')).toMatch(/is not a duration/);
    expect(parseDuration('3651d')).toBe('"3651d" is longer than the maximum of 3650d');
  });
});
