// The normalised form of a segment definition that evaluation works on.
// Parsing (definition.ts) is the only producer, so evaluation never re-checks shapes.

import type { DataValue } from '../store/store.js';

/** An event's `data` value (DataValue) is also what a `where` filter compares against. */
export type { CustomerView, DataValue, StoredEvent } from '../store/store.js';

export type WhereTest =
  | { op: 'eq' | 'ne'; value: DataValue }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; value: string | number }
  | { op: 'in'; values: DataValue[] }
  | { op: 'exists'; value: boolean };

export interface WhereFilter {
  key: string;
  /** All tests must hold: `{ "gte": 10, "lt": 20 }` is a range. */
  tests: WhereTest[];
}

export interface EventCondition {
  kind: 'event';
  type: string | null;
  action: string | null;
  where: WhereFilter[];
  /** Inclusive bounds on the number of matching events; `lte` null means unbounded. */
  count: { gte: number; lte: number | null };
  /** Sliding window length in ms, measured back from evaluation time; null means the whole history. */
  windowMs: number | null;
}

export type Condition =
  | { kind: 'and'; conditions: Condition[] }
  | { kind: 'or'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition }
  | { kind: 'identifier'; key: string }
  | EventCondition;

export interface SegmentDefinition {
  name: string;
  description: string | null;
  condition: Condition;
  /**
   * The definition as the user wrote it (validated), kept so that listing returns what was put,
   * not our internal form.
   */
  source: { name: string; description?: string; condition: unknown };
}
