import type { IntegratedConfig, OdpConfigState } from '../types.js';

export type { IntegratedConfig, OdpConfigState };

export const PENDING: OdpConfigState = Object.freeze({ state: 'pending' });

/** Same-ness as the official SDKs judge it: key, host and segment list (order matters). */
export function sameConfig(a: OdpConfigState, b: OdpConfigState): boolean {
  if (a.state !== b.state) return false;
  if (a.state === 'integrated' && b.state === 'integrated') {
    return (
      a.apiKey === b.apiKey &&
      a.apiHost === b.apiHost &&
      a.segmentsToCheck.length === b.segmentsToCheck.length &&
      a.segmentsToCheck.every((s, i) => s === b.segmentsToCheck[i])
    );
  }
  if (a.state === 'not_integrated' && b.state === 'not_integrated') return a.reason === b.reason;
  return true;
}
