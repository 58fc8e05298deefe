/**
 * Defaults shared by the commands, each overridable by environment so scripts need not repeat flags.
 * Read at call time, not import time, so tests can set them per run.
 */
export const defaults = {
  host: () => process.env.ODPKIT_HOST ?? '127.0.0.1',
  port: () => process.env.ODPKIT_PORT ?? '8080',
  db: () => process.env.ODPKIT_DB ?? './data/odpkit.db',
  url: () => process.env.ODPKIT_URL ?? 'http://127.0.0.1:8080',
  logLevel: () => process.env.ODPKIT_LOG_LEVEL ?? 'info',
  publicKey: () => process.env.ODPKIT_PUBLIC_KEY,
  privateKey: () => process.env.ODPKIT_PRIVATE_KEY,
};
