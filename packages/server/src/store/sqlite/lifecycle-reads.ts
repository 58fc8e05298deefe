import type Database from 'better-sqlite3';
import type { ExportedEvent, ExportPage } from '../store.js';
import type { EventRow } from './schema.js';

/**
 * The lifecycle reads of a SQLite database, on any connection: the store's own reader, or a read-only connection
 * opened by `odpkit export --db` next to a running server.
 */
export interface LifecycleReads {
  exportEvents(account: number, page: ExportPage): ExportedEvent[];
  oldestEventAt(account: number): number | null;
  lastEventId(): number;
}

export function createLifecycleReads(db: Database.Database): LifecycleReads {
  // NOT INDEXED keeps SQLite off the (account_id, received_at) index, which would sort the whole account per page:
  // the rowid range from the resume point is the only plan left, so each page costs the same.
  const page = db.prepare(`SELECT id, type, action, identifiers, data, received_at FROM events NOT INDEXED
    WHERE id > ? AND id <= ? AND account_id = ? AND received_at >= ? AND received_at < ? ORDER BY id LIMIT ?`);
  const lastId = db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck();
  const oldest = db.prepare('SELECT min(received_at) FROM events WHERE account_id = ?').pluck();
  return {
    exportEvents(account, p) {
      const rows = page.all(p.afterId, p.throughId, account, p.sinceMs, p.untilMs, p.limit) as EventRow[];
      return rows.map((r) => ({
        id: r.id,
        type: r.type,
        action: r.action,
        identifiersJson: r.identifiers,
        dataJson: r.data,
        receivedAt: r.received_at,
      }));
    },
    lastEventId() {
      return lastId.get() as number;
    },
    oldestEventAt(account) {
      return (oldest.get(account) as number | null) ?? null;
    },
  };
}
