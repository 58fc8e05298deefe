import type { OdpDataValue } from '../types.js';
import { defaultData } from './default-data.js';
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
  if (typeof action !== 'string' || action.trim() === '') {
    return reject(`action must be a non-empty string (got ${describeValue(action)})`);
  }
  if (action.length > maxEventBytes)
    return reject(`action is longer than the maxEventBytes limit (${maxEventBytes} bytes)`);
  let t: string;
  if (type === undefined || type === null || type === '') t = DEFAULT_EVENT_TYPE;
  else if (typeof type !== 'string') return reject(`type must be a string when given (got ${describeValue(type)})`);
  else if (type.length > maxEventBytes)
    return reject(`type is longer than the maxEventBytes limit (${maxEventBytes} bytes)`);
  else t = type;

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
    if (input instanceof Map) {
      for (const [k, v] of input) {
        const p = addIdentifier(out, k, v, maxChars, fs);
        if (p !== undefined) return p;
        seen++;
      }
    } else {
      const obj = input as Record<string, unknown>;
      const keys = Object.keys(obj);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const p = addIdentifier(out, k, obj[k], maxChars, fs);
        if (p !== undefined) return p;
        seen++;
      }
    }
  } catch (err) {
    return unreadable('identifiers', err);
  }
  // Every entry either was added or rejected the event, so "none seen" is exactly "empty".
  return seen > 0 ? undefined : 'identifiers must contain at least one identifier with a non-empty string value';
}

function addData(out: Record<string, OdpDataValue>, key: unknown, v: unknown, maxChars: number): string | undefined {
  if (typeof key !== 'string') return `data has a key that is not a string (${describeValue(key)})`;
  if (key === '') return 'data has an empty key';
  if (key.length > maxChars) return `a data key is longer than the maxEventBytes limit (${maxChars} bytes)`;
  if (typeof v === 'string') {
    if (v.length > maxChars) {
      return `${fieldPath('data', key)} is ${v.length} characters, over the maxEventBytes limit (${maxChars} bytes)`;
    }
  } else if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `${fieldPath('data', key)} ${DATA_RULE} (got ${describeValue(v)})`;
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
    if (input instanceof Map) {
      for (const [k, v] of input) {
        const p = addData(out, k, v, maxChars);
        if (p !== undefined) return p;
      }
    } else {
      const obj = input as Record<string, unknown>;
      const keys = Object.keys(obj);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const p = addData(out, k, obj[k], maxChars);
        if (p !== undefined) return p;
      }
    }
  } catch (err) {
    return unreadable('data', err);
  }
  return undefined;
}
