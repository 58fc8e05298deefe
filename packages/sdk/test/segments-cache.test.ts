import { describe, expect, it } from 'vitest';
import { LruCache } from '../src/segments/lru-cache.js';

describe('segments LRU cache', () => {
  it('evicts the least recently used entry when full; lookups refresh recency', () => {
    const cache = new LruCache<string[]>(2, 0);
    cache.save('a', ['1']);
    cache.save('b', ['2']);
    expect(cache.lookup('a')).toEqual(['1']); // a is now most recent
    cache.save('c', ['3']);
    expect(cache.lookup('b')).toBeUndefined();
    expect(cache.lookup('a')).toEqual(['1']);
    expect(cache.lookup('c')).toEqual(['3']);
    expect(cache.size).toBe(2);
  });

  it('expires entries once their age reaches the timeout, and removes them', () => {
    let now = 1_000;
    const cache = new LruCache<string[]>(10, 600_000, () => now);
    cache.save('u', ['s']);
    now += 599_999;
    expect(cache.lookup('u')).toEqual(['s']);
    now += 1;
    expect(cache.lookup('u')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('a timeout of 0 never expires; a size of 0 disables caching', () => {
    let now = 0;
    const forever = new LruCache<string[]>(10, 0, () => now);
    forever.save('u', []);
    now = 10 ** 12;
    expect(forever.lookup('u')).toEqual([]);
    const off = new LruCache<string[]>(0, 600_000);
    off.save('u', ['s']);
    expect(off.lookup('u')).toBeUndefined();
    expect(off.size).toBe(0);
  });

  it('reset and remove forget entries', () => {
    const cache = new LruCache<number>(10, 0);
    cache.save('a', 1);
    cache.save('b', 2);
    cache.remove('a');
    expect(cache.lookup('a')).toBeUndefined();
    cache.reset();
    expect(cache.lookup('b')).toBeUndefined();
  });
});
