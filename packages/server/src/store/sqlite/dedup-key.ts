/**
 * The compact dedup key: a UUID (what every SDK sends) becomes its 16 bytes; anything else stays TEXT. SQLite never
 * compares a BLOB equal to a TEXT, so the two forms cannot collide. UUIDs compare case-insensitively, as they should.
 */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function dedupKey(idempotenceId: string): Buffer | string {
  if (idempotenceId.length === 36 && UUID.test(idempotenceId)) {
    return Buffer.from(idempotenceId.replaceAll('-', ''), 'hex');
  }
  return idempotenceId;
}
