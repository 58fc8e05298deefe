// The state changes of one write transaction, kept in memory and written once at the end: a batch of 500 events of
// one customer reads and writes that customer's state row once, not 500 times. Both store drivers use it inside their
// ingest transaction (and the rebuild in its own small transactions), with a loader for a row it has not read yet.

import { eventMatches } from '../evaluate.js';
import type { DataValue, StoredEvent } from '../types.js';
import { decodeStates, encodeStates } from './codec.js';
import type { LeafFilter, LeafSpec, StateShape } from './leaf.js';
import { addEvent, combine, emptyState, isEmpty, type LeafState } from './leaf-state.js';

/** A leaf as a store keeps it: its id (the state refers to it) and its spec. */
export interface StoredLeaf {
  id: number;
  key: string;
  filter: LeafFilter;
  shape: StateShape;
}

/** The JSON a store keeps for a leaf, and back. */
export function leafSpecJson(spec: LeafSpec): string {
  return JSON.stringify({ filter: spec.filter, shape: spec.shape });
}

export function leafFromRow(id: number, key: string, specJson: string): StoredLeaf {
  const { filter, shape } = JSON.parse(specJson) as { filter: LeafFilter; shape: StateShape };
  return { id, key, filter, shape };
}

/**
 * An event as ingestion and the rebuild hand it to `addEvent`: type and action, and the data JSON parsed only when a
 * leaf's type and action match and it has a where filter. A class, not an object with closures: one small
 * allocation per event on the ingestion path.
 */
export class MatchableEvent {
  private parsed: Record<string, DataValue> | undefined;
  constructor(
    readonly type: string,
    readonly action: string,
    private readonly dataJson: string,
  ) {}
  get data(): Record<string, DataValue> {
    this.parsed ??= JSON.parse(this.dataJson) as Record<string, DataValue>;
    return this.parsed;
  }
}

export interface StateWrite {
  customer: number;
  /** null: delete the row (nothing left, or the customer was merged away). */
  state: Buffer | null;
}

interface CustomerEntry {
  states: Map<number, LeafState>;
  dirty: boolean;
}

export class StateBuffer {
  private readonly customers = new Map<number, CustomerEntry>();

  /**
   * `load` returns the customer's stored state row; `isLive` tells which leaf ids still exist (entries of others are
   * dropped when the row is written again).
   */
  constructor(
    private readonly load: (customer: number) => Uint8Array | null,
    private readonly isLive: (leaf: number) => boolean,
  ) {}

  private entry(customer: number, fresh = false): CustomerEntry {
    let e = this.customers.get(customer);
    if (e === undefined) {
      e = { states: fresh ? new Map() : decodeStates(this.load(customer)), dirty: false };
      this.customers.set(customer, e);
    }
    return e;
  }

  /**
   * Counts one stored event of `customer` in every leaf it matches. `fresh`: the customer was created in this
   * transaction, so it has no stored row to read.
   */
  addEvent(
    customer: number,
    leaves: readonly StoredLeaf[],
    event: Pick<StoredEvent, 'type' | 'action' | 'data'>,
    at: number,
    fresh = false,
  ): void {
    let e: CustomerEntry | undefined;
    for (const leaf of leaves) {
      if (!eventMatches(leaf.filter, event)) continue;
      e ??= this.entry(customer, fresh);
      let state = e.states.get(leaf.id);
      if (state === undefined) {
        state = emptyState(leaf.shape);
        e.states.set(leaf.id, state);
      }
      addEvent(state, leaf.shape, at);
      e.dirty = true;
    }
  }

  /** `from` is merged into `into`: `into` gets the combined state of every leaf and `from`'s row goes. */
  merge(from: number, into: number, leaves: readonly StoredLeaf[]): void {
    const a = this.entry(from);
    if (a.states.size === 0) return;
    const b = this.entry(into);
    for (const leaf of leaves) {
      const x = a.states.get(leaf.id);
      if (x === undefined) continue;
      const y = b.states.get(leaf.id);
      b.states.set(leaf.id, y === undefined ? x : combine(y, x, leaf.shape));
    }
    b.dirty = true;
    a.states.clear();
    a.dirty = true;
  }

  /** The rows to write, then forgets them. */
  drain(): StateWrite[] {
    const out: StateWrite[] = [];
    for (const [customer, e] of this.customers) {
      if (!e.dirty) continue;
      const kept = [...e.states].filter(([leaf, s]) => this.isLive(leaf) && !isEmpty(s));
      out.push({ customer, state: kept.length === 0 ? null : encodeStates(kept) });
    }
    this.customers.clear();
    return out;
  }
}
