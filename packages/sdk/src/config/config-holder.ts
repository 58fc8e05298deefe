import type { OdpConfigState } from '../types.js';
import { PENDING, sameConfig } from './config-state.js';

export type ConfigListener = (next: OdpConfigState, previous: OdpConfigState) => void;

/**
 * The one place the current ODP configuration lives. Everything that depends on it (the event dispatcher now, the
 * segment cache later) subscribes, so a change reaches each consumer once and in order.
 */
export class ConfigHolder {
  private current: OdpConfigState = PENDING;
  private readonly listeners = new Set<ConfigListener>();

  get state(): OdpConfigState {
    return this.current;
  }

  subscribe(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Returns whether anything changed; listeners hear only real changes. */
  set(next: OdpConfigState): boolean {
    const previous = this.current;
    if (sameConfig(previous, next)) return false;
    this.current = next;
    for (const listener of this.listeners) listener(next, previous);
    return true;
  }
}
