import { WIRE_LIMITS } from '../limits.js';
import type { OdpDataValue } from '../types.js';
import { defaultData, IDEMPOTENCE_ID } from './default-data.js';
import { describeValue, fieldPath } from './describe.js';
import { addIdentifier } from './identifiers.js';
import { setOwn } from './own-key.js';

export const DEFAULT_EVENT_TYPE = 'fullstack';

/**
 * Either the event serialised once (the queue stores its UTF-8 bytes; a batch body is those joined) or the reason
 * it was rejected. Both are strings so rejection costs no exception: `ok` tells them apart.
 */
export type BuildResult = { ok: true; json: string } | { ok: false; reason: string };

const reject = (reason: string): BuildResult => ({ ok: false, reason });

const DATA_RULE = 'must be a string, finite number, boolean or null';
const { maxNameLength, maxIdempotenceIdLength, maxIdentifiersPerEvent } = WIRE_LIMITS;

/** `type` and `action`: the server refuses an empty or blank name and one over maxNameLength characters. */
function nameProblem(field: 'type' | 'action', v: string): string | undefined {
  if (v.trim() === '') return `${field} must be a non-empty string (got ${describeValue(v)})`;
  if (v.length > maxNameLength) {
    return `${field} is ${v.length} characters, over the ${maxNameLength}-character limit for ${field}`;
  }
  return undefined;
}

/** Two-argument forms of sendOdpEvent in the official SDKs put `type` second; ours takes identifiers second. */
const ARGUMENT_ORDER =
  'the arguments look like the official JavaScript SDK order sendOdpEvent(action, type, identifiers, data); ' +
  'this SDK takes sendOdpEvent(action, identifiers, type, data)';

/** A Map or a non-array object: what identifiers and data may be. */
export function looksLikeKeyValues(v: unknown): v is object {
  return v instanceof Map || (typeof v === 'object' && v !== null && !Array.isArray(v));
}

/**
 * Validates and serialises one event. Only reads the caller's values (never writes to them); every value is copied
 * into fresh objects first, so getters, Proxies and later mutation by the caller cannot change what is sent.
 * May throw only if the caller's objects throw while being read; the client turns that into a rejection.
 */
export function buildEvent(
  action: unknown,
  identifiers: unknown,
  type: unknown,
  data: unknown,
  maxEventBytes: number,
): BuildResult {
  if (typeof action !== 'string') return reject(`action must be a non-empty string (got ${describeValue(action)})`);
  const actionProblem = nameProblem('action', action);
  if (actionProblem !== undefined) return reject(actionProblem);
  // (action, type, identifiers) order: a string where identifiers go and a key-value object where the type goes.
  if (typeof identifiers === 'string' && looksLikeKeyValues(type)) {
    return reject(`identifiers must be a plain object or a Map (got ${describeValue(identifiers)}); ${ARGUMENT_ORDER}`);
  }
  let t: string;
  // A missing or empty type means the default, as in the official SDKs.
  if (type === undefined || type === null || type === '') t = DEFAULT_EVENT_TYPE;
  else if (typeof type !== 'string') return reject(`type must be a string when given (got ${describeValue(type)})`);
  else {
    const typeProblem = nameProblem('type', type);
    if (typeProblem !== undefined) return reject(typeProblem);
    t = type;
  }

  const ids: Record<string, string> = {};
  const idsProblem = readIdentifiers(identifiers, ids, maxEventBytes);
  if (idsProblem !== undefined) return reject(idsProblem);

  const d = defaultData();
  if (data !== undefined && data !== null) {
    const dataProblem = readData(data, d, maxEventBytes);
    if (dataProblem !== undefined) return reject(dataProblem);
  }

  const json = JSON.stringify({ type: t, action, identifiers: ids, data: d });
  // UTF-8 is at least one byte per UTF-16 unit, so this is a sure rejection; the exact check happens on encoding.
  if (json.length > maxEventBytes) {
    return reject(
      `event is at least ${json.length} bytes serialised, over the maxEventBytes limit (${maxEventBytes} bytes)`,
    );
  }
  return { ok: true, json };
}

/** Visits the entries of a Map or the own enumerable keys of an object, in order, until one reports a problem. */
export function eachEntry(input: object, visit: (k: unknown, v: unknown) => string | undefined): string | undefined {
  if (input instanceof Map) {
    for (const [k, v] of input) {
      const p = visit(k, v);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  const obj = input as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const p = visit(keys[i], obj[keys[i]!]);
    if (p !== undefined) return p;
  }
  return undefined;
}

function shapeProblem(field: string, v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Set || v instanceof WeakMap) {
    return `${field} must be a plain object or a Map (got ${describeValue(v)})`;
  }
  return undefined;
}

function unreadable(field: string, err: unknown): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : describeValue(err);
  return `${field} could not be read (${msg})`;
}

export function readIdentifiers(input: unknown, out: Record<string, string>, maxChars: number): string | undefined {
  const shape = shapeProblem('identifiers', input);
  if (shape !== undefined) return shape;
  const fs: { key?: string } = {};
  let seen = 0;
  try {
    const p = eachEntry(
      input as object,
      (k, v) => addIdentifier(out, k, v, maxChars, fs) ?? tooManyIdentifiers(++seen, out),
    );
    if (p !== undefined) return p;
  } catch (err) {
    return unreadable('identifiers', err);
  }
  // Every entry either was added or rejected the event, so "none seen" is exactly "empty".
  return seen > 0 ? undefined : 'identifiers must contain at least one identifier with a non-empty string value';
}

/** Counted after spellings of fs_user_id collapse, as the server counts the keys it receives. */
function tooManyIdentifiers(seen: number, out: Record<string, string>): string | undefined {
  if (seen <= maxIdentifiersPerEvent) return undefined;
  const n = Object.keys(out).length;
  return n > maxIdentifiersPerEvent
    ? `identifiers has more than ${maxIdentifiersPerEvent} keys, the limit for one event`
    : undefined;
}

function addData(out: Record<string, OdpDataValue>, key: unknown, v: unknown, maxChars: number): string | undefined {
  if (typeof key !== 'string') return `data has a key that is not a string (${describeValue(key)})`;
  if (key === '') return 'data has an empty key';
  if (key === IDEMPOTENCE_ID) {
    // null means "no id of my own": the SDK's generated one stays.
    if (v === null) return undefined;
    if (typeof v !== 'string' || v === '' || v.length > maxIdempotenceIdLength) {
      return `data.${IDEMPOTENCE_ID} must be a non-empty string of at most ${maxIdempotenceIdLength} characters (got ${
        typeof v === 'string' && v !== '' ? `${v.length} characters` : describeValue(v)
      })`;
    }
  }
  if (key.length > maxChars) return `a data key is longer than the maxEventBytes limit (${maxChars} bytes)`;
  if (typeof v === 'string') {
    if (v.length > maxChars) {
      return `${fieldPath('data', key)} is ${v.length} characters, over the maxEventBytes limit (${maxChars} bytes)`;
    }
  } else if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `${fieldPath('data', key)} ${DATA_RULE} (got ${describeValue(v)})`;
    // Past 2^53 a double no longer holds every integer: the server refuses such numbers rather than store a
    // different one than the application meant.
    if (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) {
      return `${fieldPath('data', key)} is ${v}, beyond Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}) where integers lose precision; send it as a string`;
    }
  } else if (typeof v !== 'boolean' && v !== null) {
    return `${fieldPath('data', key)} ${DATA_RULE} (got ${describeValue(v)})`;
  }
  setOwn(out, key, v as OdpDataValue);
  return undefined;
}

function readData(input: unknown, out: Record<string, OdpDataValue>, maxChars: number): string | undefined {
  const shape = shapeProblem('data', input);
  if (shape !== undefined) return shape;
  try {
    return eachEntry(input as object, (k, v) => addData(out, k, v, maxChars));
  } catch (err) {
    return unreadable('data', err);
  }
}
