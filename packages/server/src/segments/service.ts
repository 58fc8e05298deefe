// Segment membership and definition management for one server: the only place that talks to
// the store about segments, so GraphQL and the admin API share one cache and one set of rules.

import type { Store } from '../store/store.js';
import { parseSegmentDefinition, parseSegmentFile } from './definition.js';
import { evaluate, historyNeeded } from './evaluate.js';
import { type BuilderOptions, StateBuilder } from './state/builder.js';
import { evaluateState, leafKeys } from './state/evaluate-state.js';
import { type LeafSpec, leavesOf } from './state/leaf.js';
import type { LeafState } from './state/leaf-state.js';
import type { LeafProgress, SegmentStateSource } from './state/source.js';
import type { CustomerView, SegmentDefinition, StoredEvent } from './types.js';

/** The part of the store this module needs. A source without the state methods is answered from history alone. */
export type SegmentDataSource = Pick<
  Store,
  'lookupCustomer' | 'customerEvents' | 'listSegmentDefinitions' | 'putSegmentDefinition' | 'deleteSegmentDefinition'
> &
  Partial<SegmentStateSource>;

function hasState(store: SegmentDataSource): store is SegmentDataSource & SegmentStateSource {
  return (
    typeof store.segmentState === 'function' &&
    typeof store.linkSegmentLeaves === 'function' &&
    typeof store.segmentStateProgress === 'function' &&
    typeof store.buildSegmentState === 'function'
  );
}

/** The leaves a definition's state is kept under. */
function leavesOfDefinition(def: SegmentDefinition): LeafSpec[] {
  return [...leavesOf([def.condition]).values()];
}

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
  /**
   * `ready`: answered from state. `building`: some of its state is still being built from the stored history, and
   * until then it is answered from the history; `progress` counts the event ids scanned out of those to scan.
   */
  state: 'ready' | 'building';
  progress: { scanned: number; total: number };
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
  /** The state leaf keys each segment reads. */
  keysOf: Map<string, Set<string>>;
  /** Every leaf spec of the account's segments, by key (to decode state rows). */
  leaves: Map<string, LeafSpec>;
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
  private builder: StateBuilder | null = null;

  constructor(store: SegmentDataSource, options: SegmentServiceOptions = {}) {
    this.store = store;
    this.clock = options.clock ?? Date.now;
    this.ttlMs = options.definitionsTtlMs ?? 2000;
  }

  /**
   * Starts building segment state in the background (when the store keeps state): definitions created, replaced
   * or deleted through this service wake it at once. Idempotent.
   */
  startStateBuilder(options: BuilderOptions = {}): void {
    if (this.builder !== null || !hasState(this.store)) return;
    this.builder = new StateBuilder(this.store, options);
    this.builder.start();
  }

  /** Builds every pending leaf now, in the calling task (tests, and tools that need the state ready). */
  async buildStateNow(): Promise<void> {
    if (hasState(this.store)) await new StateBuilder(this.store).runUntilIdle();
  }

  /** Stops the background builder (before the store closes). */
  async close(): Promise<void> {
    await this.builder?.close();
    this.builder = null;
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
    const fromState = await this.readState(accountId, customer, defs, compiled);
    // Segments whose state is not built yet are answered from the history, exactly as before state existed.
    const rest = defs.filter((d) => !fromState.answerable.has(d.name));
    const events = await this.history(accountId, customer, rest, now);
    const historyInput = { identifiers: customer.identifiers, events, now };
    const stateInput = { identifiers: customer.identifiers, states: fromState.states, now };
    return names.map((name) => {
      const def = compiled.byName.get(name);
      if (def === undefined) return { name, state: 'not_qualified', description: null };
      const qualified = fromState.answerable.has(name)
        ? evaluateState(def.condition, stateInput)
        : evaluate(def.condition, historyInput);
      return { name, state: qualified ? 'qualified' : 'not_qualified', description: def.description };
    });
  }

  /**
   * The customer's state rows (one per live leaf of the account) and which of the segments they answer: those
   * whose every leaf is live and ready. Segments without event leaves need no state at all.
   */
  private async readState(
    accountId: string,
    customer: CustomerView,
    defs: readonly SegmentDefinition[],
    compiled: Compiled,
  ): Promise<{ answerable: Set<string>; states: Map<string, LeafState> }> {
    const answerable = new Set<string>();
    const states = new Map<string, LeafState>();
    const needsState = defs.filter((d) => (compiled.keysOf.get(d.name)?.size ?? 0) > 0);
    for (const d of defs) if (!needsState.includes(d)) answerable.add(d.name);
    if (needsState.length === 0 || !hasState(this.store)) return { answerable, states };
    const ready = new Set<string>();
    for (const row of await this.store.segmentState(accountId, customer.customerId)) {
      if (!row.ready) continue;
      ready.add(row.key);
      if (row.state !== null) states.set(row.key, row.state);
    }
    for (const d of needsState) {
      if ([...(compiled.keysOf.get(d.name) ?? [])].every((k) => ready.has(k))) answerable.add(d.name);
    }
    return { answerable, states };
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
    const progress = new Map<string, LeafProgress>();
    if (hasState(this.store)) {
      for (const p of await this.store.segmentStateProgress(accountId)) progress.set(p.key, p);
    }
    return rows
      .map((row) => {
        const source = (typeof row.definition === 'object' && row.definition !== null ? row.definition : {}) as {
          description?: unknown;
          condition?: unknown;
        };
        const parsed = parseSegmentDefinition(row.definition);
        const keys = parsed.ok ? [...leavesOf([parsed.value.condition]).keys()] : [];
        const leaves = keys.map((k) => progress.get(k));
        const built = hasState(this.store) ? leaves.every((p) => p?.ready === true) : true;
        const listed: ListedSegment = {
          name: row.name,
          condition: source.condition ?? null,
          updatedAt: row.updatedAt,
          state: built ? 'ready' : 'building',
          progress: {
            scanned: leaves.reduce((n, p) => n + (p?.scanned ?? 0), 0),
            total: leaves.reduce((n, p) => n + (p?.total ?? 0), 0),
          },
        };
        if (typeof source.description === 'string') listed.description = source.description;
        return listed;
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Creates or replaces a definition that `parseSegmentDefinition` accepted. */
  async put(accountId: string, def: SegmentDefinition): Promise<{ created: boolean }> {
    const existing = await this.store.listSegmentDefinitions(accountId);
    await this.store.putSegmentDefinition(accountId, def.name, def.source, leavesOfDefinition(def));
    this.invalidate(accountId);
    this.builder?.wake();
    return { created: !existing.some((row) => row.name === def.name) };
  }

  async delete(accountId: string, name: string): Promise<boolean> {
    const deleted = await this.store.deleteSegmentDefinition(accountId, name);
    this.invalidate(accountId);
    this.builder?.wake();
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
        await this.store.putSegmentDefinition(accountId, def.name, def.source, leavesOfDefinition(def));
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
      this.builder?.wake();
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
    const keysOf = new Map<string, Set<string>>();
    const leaves = new Map<string, LeafSpec>();
    const updatedAt = new Map<string, number>();
    for (const row of rows) {
      // Everything stored went through the parser; a row that no longer parses (written by a
      // newer or older server version) is left out rather than failing every query.
      const parsed = parseSegmentDefinition(row.definition);
      if (!parsed.ok || parsed.value.name !== row.name) continue;
      byName.set(row.name, parsed.value);
      updatedAt.set(row.name, row.updatedAt);
      keysOf.set(row.name, leafKeys(parsed.value.condition));
      for (const [key, spec] of leavesOf([parsed.value.condition])) leaves.set(key, spec);
    }
    if (hasState(this.store)) await this.linkMissingLeaves(accountId, byName, keysOf, updatedAt);
    return { byName, keysOf, leaves, names: [...byName.keys()].sort() };
  }

  /**
   * Definitions stored without their leaves (written before segment state existed, or by a node that failed
   * between the two) get them now, so their state is built; until then they are answered from history.
   */
  private async linkMissingLeaves(
    accountId: string,
    byName: Map<string, SegmentDefinition>,
    keysOf: Map<string, Set<string>>,
    updatedAt: Map<string, number>,
  ): Promise<void> {
    const store = this.store as SegmentDataSource & SegmentStateSource;
    const live = new Set((await store.segmentStateProgress(accountId)).map((p) => p.key));
    let linked = false;
    for (const [name, def] of byName) {
      if ([...(keysOf.get(name) ?? [])].every((k) => live.has(k))) continue;
      await store.linkSegmentLeaves(accountId, name, updatedAt.get(name) as number, leavesOfDefinition(def));
      linked = true;
    }
    if (linked) this.builder?.wake();
  }
}
