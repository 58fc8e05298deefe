import type { ExportedEvent, ExportPage } from '../store/store.js';

/**
 * The export format: one event per line, in the shape POST /v3/events takes (type, action, identifiers, data) plus
 * `received_at` (ISO 8601, ms), in the order the events were stored. Lines are built from the stored JSON text as
 * is, so an export never re-serialises (or reorders) what a client sent.
 */

/** Events read per page: a page is all the memory an export holds, whatever the account's size. */
export const EXPORT_PAGE_SIZE = 1_000;

export interface ExportRange {
  /** Received at or after (ms); 0 for the beginning. */
  sinceMs: number;
  /** Received before (ms); Number.MAX_SAFE_INTEGER for no end. */
  untilMs: number;
}

export const WHOLE_HISTORY: ExportRange = { sinceMs: 0, untilMs: Number.MAX_SAFE_INTEGER };

/** Where an export reads from: the store of a running server, or a database opened read-only. */
export interface EventSource {
  lastEventId(): Promise<number>;
  read(page: ExportPage): Promise<ExportedEvent[]>;
}

/** Event ids one page examines at most, so a page costs the same whatever the account's share of the table. */
export const EXPORT_SCAN_WINDOW = 10 * EXPORT_PAGE_SIZE;

export function exportLine(e: ExportedEvent): string {
  return `{"type":${JSON.stringify(e.type)},"action":${JSON.stringify(e.action)},"identifiers":${e.identifiersJson},"data":${e.dataJson},"received_at":"${new Date(e.receivedAt).toISOString()}"}\n`;
}

/**
 * The export as chunks of lines, by keyset pagination on the event id: the events stored when the export began (up to
 * the last id then), in windows of EXPORT_SCAN_WINDOW ids, each read as pages of at most EXPORT_PAGE_SIZE events.
 */
export async function* exportChunks(source: EventSource, range: ExportRange): AsyncGenerator<string> {
  const last = await source.lastEventId();
  let afterId = 0;
  while (afterId < last) {
    const throughId = Math.min(last, afterId + EXPORT_SCAN_WINDOW);
    const rows = await source.read({
      afterId,
      throughId,
      sinceMs: range.sinceMs,
      untilMs: range.untilMs,
      limit: EXPORT_PAGE_SIZE,
    });
    if (rows.length > 0) {
      let chunk = '';
      for (const row of rows) chunk += exportLine(row);
      yield chunk;
    }
    afterId = rows.length === EXPORT_PAGE_SIZE ? (rows[rows.length - 1] as ExportedEvent).id : throughId;
  }
}

/**
 * A time given to --since/--until or ?since=/&until=: an ISO 8601 date or date-time, or ms since the epoch. Null
 * when it is neither.
 */
export function parseTime(text: string): number | null {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
