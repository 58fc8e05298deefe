import type { Invalid } from '../ingest/validate.js';
import { validateBatch } from '../ingest/validate.js';
import type { IngestBatch, PreparedEvent } from '../store/store.js';
import { parseTime } from './export.js';

/**
 * The admin import: events as POST /v3/events takes them, each with an optional `received_at` (ISO 8601 or ms since
 * the epoch; missing means now) that is kept as the event's receive time, so time windows answer as before the
 * export. Unlike the public endpoint, one bad event does not refuse the others: each is validated alone, and the
 * answer lists the rejected ones by index. A receive time in the future is refused: it would put events in windows
 * that have not happened yet.
 */

export interface PreparedImport {
  /** Consecutive events with the same receive time form one batch, in the order given. */
  batches: IngestBatch[];
  rejected: Invalid[];
}

function receivedAtOf(ev: unknown, now: number): number | string {
  const v = (ev as Record<string, unknown>)['received_at'];
  if (v === undefined) return now;
  const ms =
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : typeof v === 'string' ? parseTime(v) : null;
  if (ms === null) return "'received_at' must be an ISO 8601 date-time or ms since the epoch";
  if (ms > now) return "'received_at' must not be in the future";
  return ms;
}

export function prepareImport(accountId: string, events: unknown[], now: number): PreparedImport {
  const batches: IngestBatch[] = [];
  const rejected: Invalid[] = [];
  let current: { receivedAt: number; events: PreparedEvent[] } | null = null;
  events.forEach((ev, index) => {
    const checked = validateBatch([ev]);
    if (!checked.ok) {
      rejected.push({ event: index, message: (checked.invalids[0] as Invalid).message });
      return;
    }
    const at = receivedAtOf(ev, now);
    if (typeof at === 'string') {
      rejected.push({ event: index, message: at });
      return;
    }
    const prepared = checked.events[0] as PreparedEvent;
    if (current !== null && current.receivedAt === at) current.events.push(prepared);
    else {
      current = { receivedAt: at, events: [prepared] };
      batches.push({ accountId, ...current });
    }
  });
  return { batches, rejected };
}
