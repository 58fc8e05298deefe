/**
 * Idempotence ids are usually UUIDs (every SDK sends one). Both stores keep a UUID as its 16 bytes rather than 36
 * characters, so the dedup index stays small enough to live in the page cache; they differ only in how they keep
 * other ids apart from those bytes (see each driver). UUIDs compare case-insensitively, as they should.
 */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The 16 bytes of a UUID, or null when the id is not one. */
export function uuidBytes(idempotenceId: string): Buffer | null {
  if (idempotenceId.length !== 36 || !UUID.test(idempotenceId)) return null;
  return Buffer.from(idempotenceId.replaceAll('-', ''), 'hex');
}
