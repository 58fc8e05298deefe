// What a segment needs to remember per customer for one event condition ("leaf"), and the key under which that
// memory is stored. Two leaves with the same filter and the same shape of memory share one key, so segments that
// repeat a condition share its state, and a definition change only builds the leaves that are new.

import { createHash } from 'node:crypto';
import { eventLeaves } from '../evaluate.js';
import type { Condition, EventCondition, WhereFilter } from '../types.js';

/** Which events a leaf counts. */
export interface LeafFilter {
  type: string | null;
  action: string | null;
  where: WhereFilter[];
}

/**
 * The memory a leaf needs to answer exactly:
 * - `count`: a leaf without a window needs only the number of matching events, capped at `cap` (counting further
 *   cannot change the answer);
 * - `times`: a windowed leaf needs the receivedAt of the newest `keep` matching events: the window holds at least
 *   `keep` of them exactly when the `keep`-th newest is inside it, and fewer are answered by counting the list.
 */
export type StateShape = { kind: 'count'; cap: number } | { kind: 'times'; keep: number };

export interface LeafSpec {
  /** Hash of filter and shape: the identity of the state. */
  key: string;
  filter: LeafFilter;
  shape: StateShape;
}

/**
 * How many matching events a count condition must be able to tell apart: `gte` to know the lower bound is reached,
 * `lte + 1` to know the upper bound is passed. 0 means the condition holds whatever the history (`count >= 0`).
 */
export function depthOf(count: EventCondition['count']): number {
  return Math.max(count.gte, count.lte === null ? 0 : count.lte + 1);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The where filters in one order (by key, then tests by operator), so the same filter written twice hashes alike. */
function sortedWhere(where: readonly WhereFilter[]): WhereFilter[] {
  const byText = (a: unknown, b: unknown) => {
    const x = canonical(a);
    const y = canonical(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return where
    .map((f) => ({ key: f.key, tests: [...f.tests].sort(byText) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : byText(a.tests, b.tests)));
}

/** The leaf's state spec, or null when the leaf needs no state (it holds for every customer). */
export function leafSpecOf(cond: EventCondition): LeafSpec | null {
  const depth = depthOf(cond.count);
  if (depth === 0) return null;
  const filter: LeafFilter = { type: cond.type, action: cond.action, where: sortedWhere(cond.where) };
  const shape: StateShape = cond.windowMs === null ? { kind: 'count', cap: depth } : { kind: 'times', keep: depth };
  const key = createHash('sha256').update(canonical({ filter, shape })).digest('base64url').slice(0, 22);
  return { key, filter, shape };
}

/** Every distinct stateful leaf of the conditions, by key. */
export function leavesOf(conditions: Iterable<Condition>): Map<string, LeafSpec> {
  const out = new Map<string, LeafSpec>();
  for (const c of eventLeaves(conditions)) {
    const spec = leafSpecOf(c);
    if (spec !== null && !out.has(spec.key)) out.set(spec.key, spec);
  }
  return out;
}
