// Parses and validates segment definitions and segment files into the normalised
// form of types.ts. Every problem is reported (not just the first), each prefixed with the path
// of the offending value, so a user fixing a file sees all mistakes in one pass.

import { normaliseKey } from '../ingest/identifiers.js';
import type { Condition, DataValue, EventCondition, SegmentDefinition, WhereFilter, WhereTest } from './types.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Names appear in URLs (/admin/v1/segments/:name) and GraphQL subsets, so keep them plain. */
export const SEGMENT_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const MAX_NAME_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 1000;
/** Bounds the recursion of parsing and evaluation; real definitions are a few levels deep. */
export const MAX_CONDITION_DEPTH = 20;
export const MAX_SEGMENTS_PER_FILE = 1000;
/**
 * The largest count bound. Per customer, a windowed condition keeps the timestamps of its newest `gte` (or `lte + 1`)
 * matching events, so the bound caps that state at 8 KB per condition.
 */
export const MAX_COUNT = 1000;

const COMPARISON_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists'] as const;
const CONDITION_KINDS = ['and', 'or', 'not', 'identifier', 'event'] as const;
const DURATION_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** 10 years: far beyond any useful window, and keeps `now - window` well inside safe integers. */
const MAX_WINDOW_MS = 3650 * 86_400_000;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${typeof v === 'object' ? '' : JSON.stringify(v)}`.trim();
}

/** `a.b` for plain keys, `a["odd key"]` otherwise, so paths stay unambiguous. */
function child(path: string, key: string): string {
  const step = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return path === '' ? step.replace(/^\./, '') : path + step;
}

function at(path: string, message: string): string {
  return path === '' ? message : `${path}: ${message}`;
}

function checkKeys(obj: Obj, allowed: readonly string[], path: string, errors: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      errors.push(at(path, `unknown key ${JSON.stringify(key)} (expected ${allowed.join(', ')})`));
    }
  }
}

function isScalar(v: unknown): v is DataValue {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Parses "30d" style durations into ms; returns an error message on failure. */
export function parseDuration(input: unknown): number | string {
  const hint = 'use a number followed by s, m, h or d, e.g. "30d"';
  if (typeof input !== 'string') return `${describe(input)} is not a duration (${hint})`;
  const m = /^([0-9]+)([smhd])$/.exec(input);
  if (!m) return `${JSON.stringify(input)} is not a duration (${hint})`;
  const ms = Number(m[1]) * DURATION_UNIT_MS[m[2]!]!;
  if (ms <= 0) return `${JSON.stringify(input)} must be longer than zero`;
  if (ms > MAX_WINDOW_MS) return `${JSON.stringify(input)} is longer than the maximum of 3650d`;
  return ms;
}

function parseWhereTests(input: unknown, path: string, errors: string[]): WhereTest[] {
  if (!isObject(input) || Object.keys(input).length === 0) {
    errors.push(at(path, `must be an object with an operator, e.g. { "eq": "value" } (got ${describe(input)})`));
    return [];
  }
  const tests: WhereTest[] = [];
  for (const [op, value] of Object.entries(input)) {
    const p = child(path, op);
    switch (op) {
      case 'eq':
      case 'ne':
        if (isScalar(value)) tests.push({ op, value });
        else errors.push(at(p, `must be a string, finite number, boolean or null (got ${describe(value)})`));
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) {
          tests.push({ op, value });
        } else {
          errors.push(at(p, `must be a string or a finite number (got ${describe(value)})`));
        }
        break;
      case 'in':
        if (!Array.isArray(value) || value.length === 0) {
          errors.push(at(p, 'must be a non-empty array'));
        } else {
          const bad = value.findIndex((v) => !isScalar(v));
          if (bad >= 0) {
            errors.push(
              at(`${p}[${bad}]`, `must be a string, finite number, boolean or null (got ${describe(value[bad])})`),
            );
          } else tests.push({ op, values: value as DataValue[] });
        }
        break;
      case 'exists':
        if (typeof value === 'boolean') tests.push({ op, value });
        else errors.push(at(p, `must be true or false (got ${describe(value)})`));
        break;
      default:
        errors.push(at(path, `unknown operator ${JSON.stringify(op)} (expected one of ${COMPARISON_OPS.join(', ')})`));
    }
  }
  return tests;
}

function parseCount(input: unknown, path: string, errors: string[]): EventCondition['count'] {
  if (input === undefined) return { gte: 1, lte: null };
  if (!isObject(input) || Object.keys(input).length === 0) {
    errors.push(at(path, 'must be an object with gte and/or lte, e.g. { "gte": 2 }'));
    return { gte: 1, lte: null };
  }
  checkKeys(input, ['gte', 'lte'], path, errors);
  const bound = (key: 'gte' | 'lte'): number | null => {
    const v = input[key];
    if (v === undefined) return null;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT) return v;
    errors.push(at(child(path, key), `must be a whole number from 0 to ${MAX_COUNT} (got ${describe(v)})`));
    return null;
  };
  const gte = bound('gte');
  const lte = bound('lte');
  if (gte !== null && lte !== null && gte > lte) {
    errors.push(at(path, `gte (${gte}) is greater than lte (${lte}): no customer could ever match`));
  }
  // Only an upper bound given ("at most 2 purchases") includes customers with none.
  return { gte: gte ?? (lte === null ? 1 : 0), lte };
}

function parseEventCondition(input: Obj, path: string, errors: string[]): EventCondition {
  checkKeys(input, ['event', 'count', 'within'], path, errors);
  const cond: EventCondition = {
    kind: 'event',
    type: null,
    action: null,
    where: [],
    count: parseCount(input['count'], child(path, 'count'), errors),
    windowMs: null,
  };
  const eventPath = child(path, 'event');
  const event = input['event'];
  if (!isObject(event)) {
    errors.push(at(eventPath, `must be an object such as { "action": "purchased" } (got ${describe(event)})`));
  } else {
    checkKeys(event, ['type', 'action', 'where'], eventPath, errors);
    for (const key of ['type', 'action'] as const) {
      const v = event[key];
      if (v === undefined) continue;
      if (typeof v === 'string' && v.length > 0) cond[key] = v;
      else errors.push(at(child(eventPath, key), `must be a non-empty string (got ${describe(v)})`));
    }
    const where = event['where'];
    const wherePath = child(eventPath, 'where');
    if (where !== undefined) {
      if (!isObject(where)) errors.push(at(wherePath, `must be an object of data keys (got ${describe(where)})`));
      else {
        for (const [key, tests] of Object.entries(where)) {
          const filter: WhereFilter = { key, tests: parseWhereTests(tests, child(wherePath, key), errors) };
          cond.where.push(filter);
        }
      }
    }
  }
  if (input['within'] !== undefined) {
    const ms = parseDuration(input['within']);
    if (typeof ms === 'string') errors.push(at(child(path, 'within'), ms));
    else cond.windowMs = ms;
  }
  return cond;
}

export function parseCondition(input: unknown, path: string, errors: string[], depth = 0): Condition {
  const fallback: Condition = { kind: 'and', conditions: [] };
  if (depth > MAX_CONDITION_DEPTH) {
    errors.push(at(path, `conditions are nested more than ${MAX_CONDITION_DEPTH} levels deep`));
    return fallback;
  }
  if (!isObject(input)) {
    errors.push(at(path, `must be a condition object (got ${describe(input)})`));
    return fallback;
  }
  const kinds = CONDITION_KINDS.filter((k) => k in input);
  if (kinds.length !== 1) {
    const found =
      kinds.length === 0
        ? `found ${
            Object.keys(input)
              .map((k) => JSON.stringify(k))
              .join(', ') || 'no keys'
          }`
        : `found ${kinds.join(' and ')}`;
    errors.push(at(path, `must have exactly one of ${CONDITION_KINDS.join(', ')} (${found})`));
    return fallback;
  }
  const kind = kinds[0]!;
  const value = input[kind];
  const p = child(path, kind);
  switch (kind) {
    case 'and':
    case 'or': {
      checkKeys(input, [kind], path, errors);
      if (!Array.isArray(value) || value.length === 0) {
        errors.push(at(p, 'must be a non-empty array'));
        return fallback;
      }
      return { kind, conditions: value.map((c, i) => parseCondition(c, `${p}[${i}]`, errors, depth + 1)) };
    }
    case 'not':
      checkKeys(input, ['not'], path, errors);
      return { kind, condition: parseCondition(value, p, errors, depth + 1) };
    case 'identifier':
      checkKeys(input, ['identifier'], path, errors);
      if (typeof value !== 'string' || normaliseKey(value) === '') {
        errors.push(at(p, `must be a non-empty identifier type such as "email" (got ${describe(value)})`));
        return fallback;
      }
      // The key as ingestion stores identity types, so `Email` finds the customers holding `email`.
      return { kind, key: normaliseKey(value) };
    default:
      return parseEventCondition(input, path, errors);
  }
}

function checkName(name: unknown, path: string, errors: string[]): name is string {
  if (name === undefined) {
    errors.push(at(path, 'is required'));
    return false;
  }
  if (typeof name !== 'string' || name.length === 0) {
    errors.push(at(path, `must be a non-empty string (got ${describe(name)})`));
    return false;
  }
  if (name.length > MAX_NAME_LENGTH) {
    errors.push(at(path, `must be at most ${MAX_NAME_LENGTH} characters`));
    return false;
  }
  if (!SEGMENT_NAME_PATTERN.test(name)) {
    errors.push(
      at(
        path,
        `${JSON.stringify(name)} may contain only letters, digits, "_", "-" and "." and must not start with "-" or "."`,
      ),
    );
    return false;
  }
  return true;
}

/**
 * Parses one definition `{ name, description?, condition }`. `path` prefixes every error
 * (e.g. "segments[2]"); the empty string gives bare paths such as "condition.and".
 */
export function parseSegmentDefinition(input: unknown, path = ''): ParseResult<SegmentDefinition> {
  const errors: string[] = [];
  if (!isObject(input)) {
    return {
      ok: false,
      errors: [at(path, `must be an object { name, description?, condition } (got ${describe(input)})`)],
    };
  }
  checkKeys(input, ['name', 'description', 'condition'], path, errors);
  const name = input['name'];
  checkName(name, child(path, 'name'), errors);
  const description = input['description'];
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH)) {
    errors.push(at(child(path, 'description'), `must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`));
  }
  let condition: Condition | null = null;
  if (input['condition'] === undefined) errors.push(at(child(path, 'condition'), 'is required'));
  else condition = parseCondition(input['condition'], child(path, 'condition'), errors);
  if (errors.length > 0 || condition === null) return { ok: false, errors };
  const source: SegmentDefinition['source'] = { name: name as string, condition: input['condition'] };
  if (typeof description === 'string') source.description = description;
  return {
    ok: true,
    value: {
      name: name as string,
      description: typeof description === 'string' ? description : null,
      condition,
      source,
    },
  };
}

/** Parses a segment file: a JSON array of definitions with unique names. */
export function parseSegmentFile(input: unknown): ParseResult<SegmentDefinition[]> {
  if (!Array.isArray(input)) {
    return { ok: false, errors: [`segments: must be a JSON array of segment definitions (got ${describe(input)})`] };
  }
  if (input.length > MAX_SEGMENTS_PER_FILE) {
    return {
      ok: false,
      errors: [`segments: has ${input.length} definitions, more than the maximum of ${MAX_SEGMENTS_PER_FILE}`],
    };
  }
  const errors: string[] = [];
  const defs: SegmentDefinition[] = [];
  const firstIndex = new Map<string, number>();
  input.forEach((item, i) => {
    const path = `segments[${i}]`;
    const result = parseSegmentDefinition(item, path);
    if (!result.ok) errors.push(...result.errors);
    else defs.push(result.value);
    const name = isObject(item) ? item['name'] : undefined;
    if (typeof name === 'string') {
      const first = firstIndex.get(name);
      if (first !== undefined) {
        errors.push(`${path}.name: duplicate name ${JSON.stringify(name)} (also used by segments[${first}])`);
      } else firstIndex.set(name, i);
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: defs };
}
