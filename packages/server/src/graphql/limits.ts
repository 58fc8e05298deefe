// Bounds on what one request may ask for, checked before any resolver runs, so a hostile or
// buggy query costs little: text length and tokens at parse time, then the document's nesting
// depth and field count (with fragments expanded), and the number of `customer` look-ups.

import { type DocumentNode, Kind, type SelectionSetNode } from 'graphql';

export const LIMITS = {
  /** The SDK queries are a few hundred characters plus the subset list. */
  maxQueryLength: 32 * 1024,
  maxTokens: 10_000,
  maxDepth: 15,
  maxFields: 2000,
  /** Each `customer` field is a store look-up and a history read. */
  maxCustomerFields: 10,
} as const;

interface Cost {
  depth: number;
  fields: number;
  customers: number;
}

/**
 * The cost of executing the document's operations with fragments expanded, or an error
 * message. Run after validation, which guarantees fragments exist and do not cycle.
 */
export function checkCost(document: DocumentNode): string | null {
  const fragments = new Map<string, SelectionSetNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def.selectionSet);
  }
  const memo = new Map<string, Cost>();
  const measure = (set: SelectionSetNode, atRoot: boolean): Cost => {
    const cost: Cost = { depth: 0, fields: 0, customers: 0 };
    const add = (c: Cost, extraDepth: number) => {
      cost.depth = Math.max(cost.depth, c.depth + extraDepth);
      cost.fields += c.fields;
      cost.customers += c.customers;
    };
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const inner = sel.selectionSet ? measure(sel.selectionSet, false) : { depth: 0, fields: 0, customers: 0 };
        add({ ...inner, fields: inner.fields + 1 }, 1);
        if (atRoot && sel.name.value === 'customer') cost.customers += 1;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        add(measure(sel.selectionSet, atRoot), 0);
      } else {
        // Memoised per fragment and root position, so repeated spreads cost one walk each.
        const key = `${atRoot ? 'root:' : ''}${sel.name.value}`;
        let c = memo.get(key);
        const body = fragments.get(sel.name.value);
        if (c === undefined && body !== undefined) {
          c = measure(body, atRoot);
          memo.set(key, c);
        }
        if (c !== undefined) add(c, 0);
      }
      // Saturate rather than overflow when spreads multiply.
      if (cost.fields > LIMITS.maxFields) cost.fields = LIMITS.maxFields + 1;
    }
    return cost;
  };
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const cost = measure(def.selectionSet, true);
    if (cost.depth > LIMITS.maxDepth) return `query is nested ${cost.depth} levels deep (maximum ${LIMITS.maxDepth})`;
    if (cost.fields > LIMITS.maxFields) return `query selects more than ${LIMITS.maxFields} fields`;
    if (cost.customers > LIMITS.maxCustomerFields) {
      return `query asks for ${cost.customers} customers (maximum ${LIMITS.maxCustomerFields})`;
    }
  }
  return null;
}

/**
 * A cheap pre-check on the parsed but not yet validated document: some validation rules
 * (overlapping fields) grow quadratically with the number of fields, so refuse documents that
 * are plainly too large before validating them.
 */
export function checkSize(document: DocumentNode): string | null {
  let fields = 0;
  let maxDepth = 0;
  const walk = (set: SelectionSetNode, depth: number): void => {
    maxDepth = Math.max(maxDepth, depth);
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) fields++;
      if (sel.kind !== Kind.FRAGMENT_SPREAD && sel.selectionSet) walk(sel.selectionSet, depth + 1);
    }
  };
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION || def.kind === Kind.FRAGMENT_DEFINITION) walk(def.selectionSet, 1);
  }
  if (maxDepth > LIMITS.maxDepth) return `query is nested ${maxDepth} levels deep (maximum ${LIMITS.maxDepth})`;
  if (fields > LIMITS.maxFields) return `query selects more than ${LIMITS.maxFields} fields`;
  return null;
}
