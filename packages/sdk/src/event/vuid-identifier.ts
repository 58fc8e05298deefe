import { hasOwn } from './own-key.js';

export const VUID_KEY = 'vuid';

/**
 * The caller's identifiers with the visitor id added when they carry no `vuid` of their own (a caller's vuid is never
 * replaced). Anything that is not a plain object or a Map is returned as is, for validation to reject as usual.
 */
export function withVuid(identifiers: unknown, vuid: string | undefined): unknown {
  if (vuid === undefined) return identifiers;
  if (identifiers === undefined || identifiers === null) return { [VUID_KEY]: vuid };
  if (identifiers instanceof Map) {
    return identifiers.has(VUID_KEY) ? identifiers : new Map(identifiers).set(VUID_KEY, vuid);
  }
  if (typeof identifiers !== 'object') return identifiers;
  const proto = Object.getPrototypeOf(identifiers);
  if ((proto !== Object.prototype && proto !== null) || hasOwn(identifiers as object, VUID_KEY)) return identifiers;
  return { ...(identifiers as Record<string, unknown>), [VUID_KEY]: vuid };
}
