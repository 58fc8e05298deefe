import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseJsonBytes, scanJson } from '../src/http/json.js';

const scan = (text: string, maxDepth: number = MAX_JSON_DEPTH) => scanJson(Buffer.from(text), maxDepth);

describe('the JSON pre-scan', () => {
  it('counts the items of a top-level array, ignoring commas and brackets inside strings and nested values', () => {
    expect(scan('[]')).toEqual({ tooDeep: false, topLevelItems: 0 });
    expect(scan(' [ \n ] ')).toEqual({ tooDeep: false, topLevelItems: 0 });
    expect(scan('[1]')).toEqual({ tooDeep: false, topLevelItems: 1 });
    expect(scan('[1, 2 ,3]')).toEqual({ tooDeep: false, topLevelItems: 3 });
    expect(scan('[{"a":[1,2,3],"b":{"c":1,"d":2}}, "x,y]", "q\\",[", [[],[]]]')).toEqual({
      tooDeep: false,
      topLevelItems: 4,
    });
    expect(scan('{"a":1,"b":2}')).toEqual({ tooDeep: false, topLevelItems: null });
    expect(scan('"[1,2]"')).toEqual({ tooDeep: false, topLevelItems: null });
  });

  it('finds nesting past the limit, and only outside strings', () => {
    expect(scan('[[[]]]', 3)).toEqual({ tooDeep: false, topLevelItems: 1 });
    expect(scan('[[[[]]]]', 3)).toEqual({ tooDeep: true });
    expect(scan('[{"a":{"b":[]}}]', 3)).toEqual({ tooDeep: true });
    expect(scan('["[[[[[[", "\\"[[[[["]', 3)).toEqual({ tooDeep: false, topLevelItems: 2 });
    // Stops at the first bracket past the limit: an unterminated bomb is refused as too deep, not as unfinished.
    expect(scan('['.repeat(1_000_000))).toEqual({ tooDeep: true });
    expect(scan(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toEqual({
      tooDeep: false,
      topLevelItems: 1,
    });
  });

  it('refuses a top-level array over the item cap with 413 before parsing, and parses anything else', () => {
    const cap = { count: 2, what: 'events' };
    expect(parseJsonBytes(Buffer.from('[1,2,3]'), cap)).toEqual({
      ok: false,
      status: 413,
      message: 'a batch holds at most 2 events; this one holds 3',
    });
    expect(parseJsonBytes(Buffer.from('[1,2]'), cap)).toEqual({ ok: true, value: [1, 2] });
    expect(parseJsonBytes(Buffer.from('{"__proto__":{"x":1}}'))).toMatchObject({ ok: true });
    const parsed = parseJsonBytes(Buffer.from('{"__proto__":{"x":1}}'));
    expect(parsed.ok && Object.getOwnPropertyDescriptor(parsed.value, '__proto__')?.value).toEqual({ x: 1 });
    expect(Object.getPrototypeOf(parsed.ok ? parsed.value : null)).toBe(Object.prototype);
  });
});
