// One customer's state for one leaf, and the three things done with it: add a matching event, combine two
// customers' states when they merge, and answer the leaf's count condition at an instant.

import type { EventCondition } from '../types.js';
import type { StateShape } from './leaf.js';

/**
 * `count`: matching events seen, capped at the shape's cap. `times`: receivedAt of the newest matching events,
 * newest first, at most the shape's keep. A customer without a row has the empty state (no matching event).
 */
export type LeafState = { kind: 'count'; n: number } | { kind: 'times'; times: number[] };

export function emptyState(shape: StateShape): LeafState {
  return shape.kind === 'count' ? { kind: 'count', n: 0 } : { kind: 'times', times: [] };
}

/** Adds one matching event received at `at`. Returns the same object, changed. */
export function addEvent(state: LeafState, shape: StateShape, at: number): LeafState {
  if (state.kind === 'count') {
    if (shape.kind === 'count' && state.n < shape.cap) state.n++;
    return state;
  }
  const keep = shape.kind === 'times' ? shape.keep : 0;
  const times = state.times;
  if (times.length >= keep && at <= (times[times.length - 1] as number)) return state; // older than all kept
  let i = 0;
  while (i < times.length && (times[i] as number) >= at) i++;
  times.splice(i, 0, at);
  if (times.length > keep) times.length = keep;
  return state;
}

/**
 * The state of a customer whose history is the union of both histories: capped counters add, timestamp lists merge
 * keeping the newest. Because adding an event is the same as combining with a one-event state, the result does not
 * depend on the order events and merges happened in.
 */
export function combine(a: LeafState, b: LeafState, shape: StateShape): LeafState {
  if (shape.kind === 'count') {
    const n = (a.kind === 'count' ? a.n : 0) + (b.kind === 'count' ? b.n : 0);
    return { kind: 'count', n: Math.min(n, shape.cap) };
  }
  const x = a.kind === 'times' ? a.times : [];
  const y = b.kind === 'times' ? b.times : [];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (out.length < shape.keep && (i < x.length || j < y.length)) {
    if (j >= y.length || (i < x.length && (x[i] as number) >= (y[j] as number))) out.push(x[i++] as number);
    else out.push(y[j++] as number);
  }
  return { kind: 'times', times: out };
}

/**
 * The leaf's answer at `now`. Exact, because the state keeps enough: the capped count (or the number of kept
 * timestamps inside the window) equals the true count whenever the true count is below the cap, and is at the cap
 * otherwise, and the cap is larger than every bound the condition compares against.
 */
export function answer(cond: EventCondition, state: LeafState | null, now: number): boolean {
  let count = 0;
  if (state !== null) {
    if (state.kind === 'count') count = state.n;
    else {
      // Inside the window: received after now - window (events stamped after `now` count as recent).
      const cutoff = cond.windowMs === null ? Number.NEGATIVE_INFINITY : now - cond.windowMs;
      for (const t of state.times) {
        if (t <= cutoff) break;
        count++;
      }
    }
  }
  return count >= cond.count.gte && (cond.count.lte === null || count <= cond.count.lte);
}

/** True when the state is the same as having seen no matching event (nothing to store). */
export function isEmpty(state: LeafState): boolean {
  return state.kind === 'count' ? state.n === 0 : state.times.length === 0;
}
