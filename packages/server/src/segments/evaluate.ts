// Evaluates normalised conditions for one customer at one instant from the customer's history. Pure: the caller
// supplies the identifiers, the event history and `now`, so windows slide with the injected clock and membership
// changes without new events, and tests need no real time. Queries answer from the per-customer state instead
// (state/evaluate-state.ts) once it is built; this evaluator answers while it is being built, and is the reference
// the state is tested against.

import type { Condition, CustomerView, DataValue, EventCondition, StoredEvent, WhereTest } from './types.js';

export interface EvaluationInput {
  identifiers: CustomerView['identifiers'];
  /** Any order; must cover at least `historyNeeded(...)` of the conditions being evaluated. */
  events: readonly StoredEvent[];
  now: number;
}

/**
 * How much history evaluating these conditions needs:
 * - `{ events: false }` when no condition looks at events (identifier-only segments),
 * - `{ events: true, windowMs: n }` when every event leaf has a window (n = the largest),
 * - `{ events: true, windowMs: null }` when some leaf counts over the whole history.
 * `not` does not change this: a negated leaf is still the same count over the same window,
 * and an undercounted history would flip it just as wrongly as an unnegated one.
 */
export type HistoryNeed = { events: false } | { events: true; windowMs: number | null };

/** Every event condition ("leaf") inside the conditions, through and/or/not, in order. */
export function eventLeaves(conditions: Iterable<Condition>): EventCondition[] {
  const out: EventCondition[] = [];
  const visit = (c: Condition): void => {
    switch (c.kind) {
      case 'and':
      case 'or':
        for (const sub of c.conditions) visit(sub);
        return;
      case 'not':
        visit(c.condition);
        return;
      case 'identifier':
        return;
      case 'event':
        out.push(c);
    }
  };
  for (const c of conditions) visit(c);
  return out;
}

export function historyNeeded(conditions: Iterable<Condition>): HistoryNeed {
  const leaves = eventLeaves(conditions);
  if (leaves.length === 0) return { events: false };
  let windowMs: number | null = 0;
  for (const c of leaves) {
    if (c.windowMs === null) windowMs = null;
    else if (windowMs !== null) windowMs = Math.max(windowMs, c.windowMs);
  }
  return { events: true, windowMs };
}

/**
 * Ordering comparisons only between two numbers (numerically) or two strings (by UTF-16 code
 * units, i.e. JavaScript's `<`); any other pairing, including null and booleans, does not match.
 * No coercion: the string "100" is not greater than the number 99.
 */
function ordered(actual: DataValue | undefined, expected: string | number): number | null {
  if (typeof actual !== typeof expected) return null;
  const a = actual as string | number;
  return a < expected ? -1 : a > expected ? 1 : 0;
}

function passes(test: WhereTest, present: boolean, actual: DataValue | undefined): boolean {
  if (test.op === 'exists') {
    // "exists" means the key is there with a non-null value; null is how senders clear a value.
    const exists = present && actual !== null;
    return exists === test.value;
  }
  // Every other operator needs the key to be present; a missing key matches nothing,
  // so `ne` never selects events that lack the key.
  if (!present) return false;
  switch (test.op) {
    case 'eq':
      return actual === test.value;
    case 'ne':
      return actual !== test.value;
    case 'in':
      return test.values.includes(actual as DataValue);
    case 'gt': {
      const c = ordered(actual, test.value);
      return c !== null && c > 0;
    }
    case 'gte': {
      const c = ordered(actual, test.value);
      return c !== null && c >= 0;
    }
    case 'lt': {
      const c = ordered(actual, test.value);
      return c !== null && c < 0;
    }
    case 'lte': {
      const c = ordered(actual, test.value);
      return c !== null && c <= 0;
    }
  }
}

/** Whether the event passes the condition's type, action and where filters (its count and window aside). */
export function eventMatches(
  cond: Pick<EventCondition, 'type' | 'action' | 'where'>,
  event: Pick<StoredEvent, 'type' | 'action' | 'data'>,
): boolean {
  if (cond.type !== null && event.type !== cond.type) return false;
  if (cond.action !== null && event.action !== cond.action) return false;
  for (const filter of cond.where) {
    const present = Object.hasOwn(event.data, filter.key);
    const actual = present ? event.data[filter.key] : undefined;
    for (const test of filter.tests) if (!passes(test, present, actual)) return false;
  }
  return true;
}

function evaluateEvent(cond: EventCondition, input: EvaluationInput): boolean {
  // An event is inside the window when it is younger than the window: received after
  // `now - window`. Events stamped after `now` (clock skew between nodes) count as recent.
  const cutoff = cond.windowMs === null ? Number.NEGATIVE_INFINITY : input.now - cond.windowMs;
  const { gte, lte } = cond.count;
  let count = 0;
  for (const event of input.events) {
    // Skip rather than stop at the first old event: with several server nodes the store's
    // newest-first order need not follow receivedAt exactly, and the fetch is already bounded.
    if (event.receivedAt <= cutoff) continue;
    if (!eventMatches(cond, event)) continue;
    count++;
    // Stop early once the answer cannot change: over the upper bound, or reached the lower
    // bound with no upper bound.
    if (lte !== null && count > lte) return false;
    if (lte === null && count >= gte) return true;
  }
  return count >= gte && (lte === null || count <= lte);
}

/**
 * The boolean structure of a condition, shared by both evaluators: `and`/`or`/`not` combine, an identifier leaf asks
 * whether the customer holds that type, and an event leaf is answered by `event` (from history or from state).
 */
export function evaluateTree(
  condition: Condition,
  identifiers: CustomerView['identifiers'],
  event: (leaf: EventCondition) => boolean,
): boolean {
  switch (condition.kind) {
    case 'and':
      return condition.conditions.every((c) => evaluateTree(c, identifiers, event));
    case 'or':
      return condition.conditions.some((c) => evaluateTree(c, identifiers, event));
    case 'not':
      return !evaluateTree(condition.condition, identifiers, event);
    case 'identifier':
      return (identifiers[condition.key]?.length ?? 0) > 0;
    case 'event':
      return event(condition);
  }
}

export function evaluate(condition: Condition, input: EvaluationInput): boolean {
  return evaluateTree(condition, input.identifiers, (leaf) => evaluateEvent(leaf, input));
}
