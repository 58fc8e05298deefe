// Evaluates a condition from the customer's state rows instead of its history: each event leaf reads its own state
// (leaf-state.ts `answer`), identifier leaves read the customer's identifiers. The work is bounded by the size of
// the definition, whatever the history.

import { evaluateTree, eventLeaves } from '../evaluate.js';
import type { Condition, CustomerView, EventCondition } from '../types.js';
import { type LeafSpec, leafSpecOf } from './leaf.js';
import { answer, type LeafState } from './leaf-state.js';

const specs = new WeakMap<EventCondition, LeafSpec | null>();

/** The leaf's spec, computed once per compiled condition object (definitions are compiled once and cached). */
export function specOf(cond: EventCondition): LeafSpec | null {
  let spec = specs.get(cond);
  if (spec === undefined) {
    spec = leafSpecOf(cond);
    specs.set(cond, spec);
  }
  return spec;
}

export interface StateInput {
  identifiers: CustomerView['identifiers'];
  /** Leaf key → the customer's state; a missing key is the empty state (no matching event). */
  states: ReadonlyMap<string, LeafState>;
  now: number;
}

export function evaluateState(condition: Condition, input: StateInput): boolean {
  return evaluateTree(condition, input.identifiers, (leaf) => {
    const spec = specOf(leaf);
    return answer(leaf, spec === null ? null : (input.states.get(spec.key) ?? null), input.now);
  });
}

/** Every stateful leaf key the condition reads. */
export function leafKeys(condition: Condition): Set<string> {
  const out = new Set<string>();
  for (const leaf of eventLeaves([condition])) {
    const spec = specOf(leaf);
    if (spec !== null) out.add(spec.key);
  }
  return out;
}
