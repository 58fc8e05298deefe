import { uuidBytes } from '../common/dedup-key.js';

/**
 * The SQLite dedup key: a UUID's 16 bytes as a BLOB, any other id as TEXT. SQLite never compares a BLOB equal to a
 * TEXT, so the two forms cannot collide.
 */
export function dedupKey(idempotenceId: string): Buffer | string {
  return uuidBytes(idempotenceId) ?? idempotenceId;
}
