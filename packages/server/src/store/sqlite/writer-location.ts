/**
 * Where the SQLite writer thread's entry script is: `sqlite-writer.js` beside the bundle that contains this module
 * (tsup.config.ts builds it from writer-entry.ts next to dist/index.js). A program that bundles @odpkit/server into a
 * file of its own must also bundle writer-entry.ts as `sqlite-writer.js` beside it.
 */
export const WRITER_ENTRY = new URL('./sqlite-writer.js', import.meta.url);
