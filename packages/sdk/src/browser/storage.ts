/**
 * localStorage, or undefined where there is none or it may not be used (workers, storage blocked by privacy settings:
 * then merely reading the property throws).
 */
export function localStore(): Storage | undefined {
  try {
    const store = (globalThis as { localStorage?: Storage }).localStorage;
    return store ?? undefined;
  } catch {
    return undefined;
  }
}

export function readItem(store: Storage, key: string): string | null {
  try {
    return store.getItem(key);
  } catch {
    return null;
  }
}

/** False when the browser refuses (quota exceeded, storage disabled). */
export function writeItem(store: Storage, key: string, value: string | null): boolean {
  try {
    if (value === null) store.removeItem(key);
    else store.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}
