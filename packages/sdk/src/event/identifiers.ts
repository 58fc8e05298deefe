import { WIRE_LIMITS } from '../limits.js';
import { describeValue, fieldPath } from './describe.js';
import { hasOwn, setOwn } from './own-key.js';

export const FS_USER_ID = 'fs_user_id';

/** `FS-USER-ID`, `fs-user-id`, `Fs_User_Id`, … all mean fs_user_id; mixed separators (`fs_user-id`) do not. */
export function normaliseIdentifierKey(key: string): string {
  if (key.length !== 10 || key === FS_USER_ID) return key;
  const lower = key.toLowerCase();
  return lower === FS_USER_ID || lower === 'fs-user-id' ? FS_USER_ID : key;
}

/**
 * Adds one identifier to `out`, or returns why the event must be rejected. Two spellings of fs_user_id with the same
 * value collapse into one; with different values the event is ambiguous and rejected (the official JS SDK silently
 * keeps the last one).
 */
export function addIdentifier(
  out: Record<string, string>,
  key: unknown,
  value: unknown,
  maxChars: number,
  fsSource: { key?: string },
): string | undefined {
  if (typeof key !== 'string') return `identifiers has a key that is not a string (${describeValue(key)})`;
  // The server trims keys before it looks at them, so a blank key is as empty as ''.
  if (key.trim() === '') return `identifiers has an empty key${key === '' ? '' : ` (${describeValue(key)})`}`;
  if (key.length > WIRE_LIMITS.maxIdentifierKeyLength) {
    return `identifiers has a key of ${key.length} characters (${describeValue(key)}), over the ${WIRE_LIMITS.maxIdentifierKeyLength}-character limit for identifier keys`;
  }
  if (typeof value !== 'string' || value === '') {
    return `${fieldPath('identifiers', key)} must be a non-empty string (got ${describeValue(value)})`;
  }
  if (value.length > maxChars) {
    return `${fieldPath('identifiers', key)} is ${value.length} characters, over the maxEventBytes limit (${maxChars} bytes)`;
  }
  const k = normaliseIdentifierKey(key);
  if (k === FS_USER_ID && hasOwn(out, FS_USER_ID)) {
    if (out[FS_USER_ID] !== value) {
      return `${fieldPath('identifiers', fsSource.key!)} and ${fieldPath('identifiers', key)} both mean fs_user_id but have different values`;
    }
    return undefined;
  }
  if (k === FS_USER_ID) fsSource.key = key;
  setOwn(out, k, value);
  return undefined;
}
