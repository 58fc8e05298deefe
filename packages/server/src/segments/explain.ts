// Why a customer is or is not in a segment: evaluates a definition like evaluate.ts does, but records every
// condition's result and names the one that decided the answer. Paths use the validation errors' notation
// (`condition.and[1]`), so the console can point at the same place in the text.

import type { EvaluationInput } from './evaluate.js';
import { eventMatches } from './evaluate.js';
import type { Condition } from './types.js';

export interface ExplainedCondition {
  path: string;
  result: boolean;
  /** Event conditions: how many of the examined events matched (inside the window). */
  count?: number;
}

export interface Explanation {
  result: boolean;
  /** The condition whose result decided the answer (the whole `and` when all its parts held, and so on). */
  deciding: string;
  conditions: ExplainedCondition[];
}

export function explain(condition: Condition, input: EvaluationInput, path = 'condition'): Explanation {
  const conditions: ExplainedCondition[] = [];
  const visit = (c: Condition, p: string): { result: boolean; deciding: string } => {
    const entry: ExplainedCondition = { path: p, result: false };
    conditions.push(entry);
    let outcome: { result: boolean; deciding: string };
    switch (c.kind) {
      case 'and':
      case 'or': {
        // Every part is explained (no short circuit): the console shows all of them.
        const parts = c.conditions.map((sub, i) => visit(sub, `${p}.${c.kind}[${i}]`));
        // `and` is decided by its first failing part, `or` by its first holding part; otherwise by all of them.
        const decisive = parts.find((r) => r.result === (c.kind === 'or'));
        outcome = decisive ?? { result: c.kind === 'and', deciding: p };
        break;
      }
      case 'not': {
        const inner = visit(c.condition, `${p}.not`);
        outcome = { result: !inner.result, deciding: inner.deciding };
        break;
      }
      case 'identifier':
        outcome = { result: (input.identifiers[c.key]?.length ?? 0) > 0, deciding: p };
        break;
      case 'event': {
        const cutoff = c.windowMs === null ? Number.NEGATIVE_INFINITY : input.now - c.windowMs;
        let count = 0;
        for (const e of input.events) if (e.receivedAt > cutoff && eventMatches(c, e)) count++;
        entry.count = count;
        outcome = { result: count >= c.count.gte && (c.count.lte === null || count <= c.count.lte), deciding: p };
        break;
      }
    }
    entry.result = outcome.result;
    return outcome;
  };
  const top = visit(condition, path);
  return { result: top.result, deciding: top.deciding, conditions };
}
