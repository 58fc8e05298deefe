/**
 * A least-recently-used cache with a per-entry time to live, for qualified segments.
 *
 * Semantics follow the official SDKs where they agree: a size of 0 or less disables
 * caching; a timeout of 0 or less means entries never expire; an entry is stale once `now - savedAt >= timeout`
 * and is removed when looked up. A Map keeps insertion order, so "most recently used" is "re-inserted last"
 * and the eviction victim is the first key.
 */
export class LruCache<V> {
  readonly #entries = new Map<string, { value: V; savedAt: number }>();

  constructor(
    readonly maxSize: number,
    readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  lookup(key: string): V | undefined {
    if (this.maxSize <= 0) return undefined;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.timeoutMs > 0 && this.now() - entry.savedAt >= this.timeoutMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  save(key: string, value: V): void {
    if (this.maxSize <= 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxSize) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, savedAt: this.now() });
  }

  remove(key: string): void {
    this.#entries.delete(key);
  }

  reset(): void {
    this.#entries.clear();
  }
}
