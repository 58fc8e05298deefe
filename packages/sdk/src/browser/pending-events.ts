import { readItem, writeItem } from './storage.js';

export const PENDING_EVENTS_KEY = 'odpkit-pending-events';
/**
 * At most this many characters of event JSON are kept for the next page (~256 KB for ASCII; localStorage quotas are
 * about 5 M characters per origin, shared with the application).
 */
export const MAX_PENDING_CHARS = 256 * 1024;

type StoredEvent = { data?: { idempotence_id?: unknown } };

function idOf(e: StoredEvent): string | undefined {
  const id = e?.data?.idempotence_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Events a page could not send before it went away, kept in localStorage as one JSON array for the next page of the
 * site. Each page replaces only what it wrote itself, so pages in other tabs keep theirs; one idempotence_id is kept
 * once (the server de-duplicates on it too, for an event that arrives after all).
 */
export class PendingEvents {
  /** idempotence_ids this page has in the store. */
  private own = new Set<string>();

  constructor(private readonly store: Storage) {}

  /** Takes every kept event (of any earlier page), once per idempotence_id, and empties the store. */
  takeAll(): string[] {
    const events = this.read();
    if (events.length === 0) return [];
    writeItem(this.store, PENDING_EVENTS_KEY, null);
    const seen = new Set<string>();
    const out: string[] = [];
    for (const e of events) {
      const id = idOf(e);
      if (id === undefined || seen.has(id)) continue;
      seen.add(id);
      out.push(JSON.stringify(e));
    }
    return out;
  }

  /**
   * Replaces what this page kept before with `events` (JSON texts), within MAX_PENDING_CHARS; returns how many did
   * not fit (or could not be written).
   */
  keep(events: readonly string[]): number {
    const parts: string[] = [];
    const seen = new Set<string>();
    let chars = 2;
    for (const e of this.read()) {
      const id = idOf(e);
      if (id === undefined || this.own.has(id) || seen.has(id)) continue;
      const json = JSON.stringify(e);
      seen.add(id);
      parts.push(json);
      chars += json.length + 1;
    }
    const mine = new Set<string>();
    let lost = 0;
    for (const json of events) {
      let id: string | undefined;
      try {
        id = idOf(JSON.parse(json) as StoredEvent);
      } catch {
        id = undefined;
      }
      if (id === undefined || seen.has(id)) continue;
      if (chars + json.length + 1 > MAX_PENDING_CHARS) {
        lost++;
        continue;
      }
      seen.add(id);
      mine.add(id);
      parts.push(json);
      chars += json.length + 1;
    }
    if (!writeItem(this.store, PENDING_EVENTS_KEY, parts.length === 0 ? null : `[${parts.join(',')}]`)) {
      return lost + mine.size;
    }
    this.own = mine;
    return lost;
  }

  /** Removes what this page kept: it is still here, sending those events itself. */
  release(): void {
    if (this.own.size > 0) this.keep([]);
  }

  private read(): StoredEvent[] {
    const raw = readItem(this.store, PENDING_EVENTS_KEY);
    if (raw === null) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? (parsed as StoredEvent[]) : [];
    } catch {
      return [];
    }
  }
}
