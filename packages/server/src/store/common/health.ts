/**
 * The health probe both stores run in one write transaction: upsert the single `health` row with the current time,
 * read it back, and fail unless the read returns what was written. It exercises the same write path as ingestion.
 */
export function checkHealthRow(written: number, read: unknown): void {
  if (Number(read) !== written) throw new Error('health row did not read back');
}
