import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../src/graphql/document-cache.js';

const Q = (n: number) => `{ customer(fs_user_id: "u${n}") { audiences { edges { node { name } } } } }`;

describe('DocumentCache', () => {
  it('returns the same prepared document for the same text, so parsing and validation run once', () => {
    const cache = new DocumentCache(10);
    const first = cache.prepare(Q(1));
    expect(first.ok).toBe(true);
    expect(cache.prepare(Q(1))).toBe(first);
  });

  it('caches invalid documents too, with their errors', () => {
    const cache = new DocumentCache(10);
    const bad = cache.prepare('{ customer(');
    expect(bad.ok).toBe(false);
    expect(cache.prepare('{ customer(')).toBe(bad);
  });

  it('stays within its capacity, evicting the least recently used text', () => {
    const cache = new DocumentCache(3);
    const one = cache.prepare(Q(1));
    cache.prepare(Q(2));
    cache.prepare(Q(3));
    cache.prepare(Q(1)); // Q(1) is now the most recent; Q(2) the least
    cache.prepare(Q(4));
    expect(cache.size).toBe(3);
    expect(cache.prepare(Q(1))).toBe(one);
    const two = cache.prepare(Q(2)); // evicted, so prepared afresh
    expect(cache.prepare(Q(2))).toBe(two);
    expect(cache.size).toBe(3);
  });

  it('does not keep very long texts', () => {
    const cache = new DocumentCache(3);
    const long = `{ customer(fs_user_id: "${'x'.repeat(9000)}") { audiences { edges { node { name } } } } }`;
    const a = cache.prepare(long);
    expect(a.ok).toBe(true);
    expect(cache.size).toBe(0);
    expect(cache.prepare(long)).not.toBe(a);
  });
});
