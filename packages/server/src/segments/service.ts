// Segment membership and definition management for one server: the only place that talks to
// the store about segments, so GraphQL and the admin API share one cache and one set of rules.

import type { Store } from '../store/store.js';
import { parseSegmentDefinition, parseSegmentFile } from './definition.js';
import { evaluate, historyNeeded } from './evaluate.js';
import type { CustomerView, SegmentDefinition, StoredEvent } from './types.js';

/** The part of the store this module needs. */
export type SegmentDataSource = Pick<
  Store,
  'lookupCustomer' | 'customerEvents' | 'listSegmentDefinitions' | 'putSegmentDefinition' | 'deleteSegmentDefinition'
>;

export type SegmentState = 'qualified' | 'not_qualified';

export interface AudienceState {
  name: string;
  state: SegmentState;
  /** null for names the account does not define. */
  description: string | null;
}

export interface ListedSegment {
  name: string;
  description?: string;
  condition: unknown;
  updatedAt: number;
}

export type ApplyResult =
  | { ok: false; errors: string[] }
  | { ok: true; created: string[]; updated: string[]; unchanged: string[]; deleted: string[] };

export interface SegmentServiceOptions {
  /** Clock for evaluation when the caller passes no `now`, and for cache ageing. */
  clock?: () => number;
  /**
   * How long compiled definitions are reused before re-reading the store. Puts and deletes
   * through this service invalidate at once; the TTL only bounds how long a change made
   * through another server node (shared PostgreSQL) takes to be seen here.
   */
  definitionsTtlMs?: number;
}

interface Compiled {
  byName: Map<string, SegmentDefinition>;
  /** Names in sorted order, for answering `audiences` without a subset. */
  names: string[];
}

interface CacheEntry {
  loaded: Promise<Compiled>;
  at: number;
}

/** Bounds memory if a server hosts very many accounts; re-reading a definitions list is cheap. */
const MAX_CACHED_ACCOUNTS = 10_000;

/** JSON with sorted keys, so a definition read back from a store that reorders keys (jsonb) compares equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class SegmentService {
  private readonly store: SegmentDataSource;
  private readonly clock: () => number;
  private readonly ttlMs: number;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(store: SegmentDataSource, options: SegmentServiceOptions = {}) {
    this.store = store;
    this.clock = options.clock ?? Date.now;
    this.ttlMs = options.definitionsTtlMs ?? 2000;
  }

  /**
   * The states of the requested segments for the customer holding identifier `idKey = idValue`,
   * or null when no customer holds it. See `statesFor` for the subset rules.
   */
  async qualifiedStates(
    accountId: string,
    idKey: string,
    idValue: string,
    subset: readonly string[] | null,
    now?: number,
  ): Promise<AudienceState[] | null> {
    const customer = await this.findCustomer(accountId, idKey, idValue);
    if (customer === null) return null;
    return this.statesFor(accountId, customer, subset, now);
  }

  findCustomer(accountId: string, idKey: string, idValue: string): Promise<CustomerView | null> {
    // The store normalises the key and value the way ingestion does (src/ingest/identifiers.ts).
    return this.store.lookupCustomer(accountId, idKey, idValue);
  }

  /**
   * One state per requested name, in the order asked. A name asked twice is answered once (its
   * first position), so clients that build a set from the answer see no surprises; a name the
   * account does not define is `not_qualified` (ODP answers only what is asked, and an SDK
   * asking for a segment nobody defined is not an error). `subset` null means every defined
   * segment, sorted by name. All segments are evaluated over a single history fetch covering
   * the largest window among them.
   */
  async statesFor(
    accountId: string,
    customer: CustomerView,
    subset: readonly string[] | null,
    now: number = this.clock(),
  ): Promise<AudienceState[]> {
    const compiled = await this.definitions(accountId);
    const names = subset === null ? compiled.names : [...new Set(subset)];
    const defs: SegmentDefinition[] = [];
    for (const name of names) {
      const def = compiled.byName.get(name);
      if (def !== undefined) defs.push(def);
    }
    const events = await this.history(accountId, customer, defs, now);
    const input = { identifiers: customer.identifiers, events, now };
    return names.map((name) => {
      const def = compiled.byName.get(name);
      if (def === undefined) return { name, state: 'not_qualified', description: null };
      return {
        name,
        state: evaluate(def.condition, input) ? 'qualified' : 'not_qualified',
        description: def.description,
      };
    });
  }

  /** Names of every segment the customer is in (for the admin customer view). */
  async membership(accountId: string, customer: CustomerView, now?: number): Promise<string[]> {
    const states = await this.statesFor(accountId, customer, null, now);
    return states.filter((s) => s.state === 'qualified').map((s) => s.name);
  }

  private async history(
    accountId: string,
    customer: CustomerView,
    defs: readonly SegmentDefinition[],
    now: number,
  ): Promise<StoredEvent[]> {
    const need = historyNeeded(defs.map((d) => d.condition));
    if (!need.events) return [];
    if (need.windowMs === null) return this.store.customerEvents(accountId, customer.customerId);
    return this.store.customerEvents(accountId, customer.customerId, { sinceMs: now - need.windowMs });
  }

  async list(accountId: string): Promise<ListedSegment[]> {
    const rows = await this.store.listSegmentDefinitions(accountId);
    return rows
      .map((row) => {
        const source = (typeof row.definition === 'object' && row.definition !== null ? row.definition : {}) as {
          description?: unknown;
          condition?: unknown;
        };
        const listed: ListedSegment = { name: row.name, condition: source.condition ?? null, updatedAt: row.updatedAt };
        if (typeof source.description === 'string') listed.description = source.description;
        return listed;
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Creates or replaces a definition that `parseSegmentDefinition` accepted. */
  async put(accountId: string, def: SegmentDefinition): Promise<{ created: boolean }> {
    const existing = await this.store.listSegmentDefinitions(accountId);
    await this.store.putSegmentDefinition(accountId, def.name, def.source);
    this.invalidate(accountId);
    return { created: !existing.some((row) => row.name === def.name) };
  }

  async delete(accountId: string, name: string): Promise<boolean> {
    const deleted = await this.store.deleteSegmentDefinition(accountId, name);
    this.invalidate(accountId);
    return deleted;
  }

  /**
   * Applies a segment file (a JSON array of definitions). Nothing is written unless the whole
   * file is valid. With `replace`, segments not in the file are deleted. The store offers no
   * multi-definition transaction, so a store failure part-way leaves the earlier writes in
   * place; applying the same file again completes it (apply is idempotent).
   */
  async applyFile(accountId: string, json: unknown, options: { replace?: boolean } = {}): Promise<ApplyResult> {
    const parsed = parseSegmentFile(json);
    if (!parsed.ok) return parsed;
    const existing = new Map(
      (await this.store.listSegmentDefinitions(accountId)).map((row) => [row.name, canonical(row.definition)]),
    );
    const result = {
      ok: true as const,
      created: [] as string[],
      updated: [] as string[],
      unchanged: [] as string[],
      deleted: [] as string[],
    };
    try {
      for (const def of parsed.value) {
        const before = existing.get(def.name);
        if (before === canonical(def.source)) {
          result.unchanged.push(def.name);
          continue;
        }
        await this.store.putSegmentDefinition(accountId, def.name, def.source);
        (before === undefined ? result.created : result.updated).push(def.name);
      }
      if (options.replace) {
        const keep = new Set(parsed.value.map((d) => d.name));
        for (const name of existing.keys()) {
          if (!keep.has(name) && (await this.store.deleteSegmentDefinition(accountId, name))) result.deleted.push(name);
        }
      }
    } finally {
      this.invalidate(accountId);
    }
    return result;
  }

  /** Drops the cached definitions of an account (also for callers that write the store directly). */
  invalidate(accountId: string): void {
    this.cache.delete(accountId);
  }

  private definitions(accountId: string): Promise<Compiled> {
    const now = this.clock();
    const hit = this.cache.get(accountId);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.loaded;
    if (this.cache.size >= MAX_CACHED_ACCOUNTS) this.cache.delete(this.cache.keys().next().value as string);
    // Concurrent requests share one load; a failed load is not kept, so the next request retries.
    const entry: CacheEntry = { at: now, loaded: this.load(accountId) };
    entry.loaded.catch(() => {
      if (this.cache.get(accountId) === entry) this.cache.delete(accountId);
    });
    this.cache.set(accountId, entry);
    return entry.loaded;
  }

  private async load(accountId: string): Promise<Compiled> {
    const rows = await this.store.listSegmentDefinitions(accountId);
    const byName = new Map<string, SegmentDefinition>();
    for (const row of rows) {
      // Everything stored went through the parser; a row that no longer parses (written by a
      // newer or older server version) is left out rather than failing every query.
      const parsed = parseSegmentDefinition(row.definition);
      if (parsed.ok && parsed.value.name === row.name) byName.set(row.name, parsed.value);
    }
    return { byName, names: [...byName.keys()].sort() };
  }
}
