import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseDuration, startServer } from '@odpkit/server';
import { defaults } from '../env.js';
import { type LogLevel, parseDb, parseListenHost, parseLogLevel, parsePort } from '../flags.js';
import { heldStream } from '../held-stream.js';
import { UsageError } from '../usage-error.js';

export interface ServeFlags {
  host: string;
  port: string;
  db: string;
  publicKey?: string;
  privateKey?: string;
  segments?: string;
  logLevel: string;
  quiet?: boolean;
  retention?: string;
}

/**
 * `odpkit serve`: start the server, print where it listens and the keys, stop cleanly on SIGINT/SIGTERM.
 * The banner goes to stdout, for scripts to read; the server's JSON logs and the CLI's own notes go to stderr.
 * `--quiet` hides progress and request logs (level warn), never warnings or errors.
 */
export async function serve(flags: ServeFlags): Promise<void> {
  const host = parseListenHost(flags.host);
  const port = parsePort(flags.port);
  const db = parseDb(flags.db);
  const level = quieted(parseLogLevel(flags.logLevel), flags.quiet === true);
  // A fresh checkout has no ./data yet; a SQLite file needs its folder to exist.
  if (db.kind === 'sqlite' && db.path !== ':memory:') {
    mkdirSync(path.dirname(path.resolve(db.path)), { recursive: true });
  }
  const maxAgeMs = flags.retention === undefined ? undefined : parseDuration(flags.retention);
  if (maxAgeMs === null) {
    throw new UsageError(
      `--retention must be a number of days, hours, minutes or seconds such as 400d or 12h (got "${flags.retention}")`,
    );
  }
  const logs = heldStream(process.stderr);
  const server = await startServer({
    host,
    port,
    db: db.kind === 'sqlite' ? db.path : db.url,
    publicKey: flags.publicKey ?? defaults.publicKey(),
    privateKey: flags.privateKey ?? defaults.privateKey(),
    segmentsFile: flags.segments,
    logger: { level, stream: logs },
    ...(maxAgeMs !== undefined ? { retention: { maxAgeMs } } : {}),
  }).catch((err: unknown) => {
    // A start that fails is reported once by the caller; what the server logged on the way belongs before it.
    logs.release();
    throw err;
  });
  process.stdout.write(
    `odpkit listening on ${server.url}\n` +
      `database: ${redact(db.kind === 'sqlite' ? db.path : db.url)}\n` +
      `public key (events, GraphQL): ${server.account.publicKey}\n` +
      `private key (admin API; keep it secret): ${server.account.privateKey}\n`,
  );
  logs.release();
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    if (!flags.quiet) process.stderr.write(`odpkit: ${signal} received, closing\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`odpkit: error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** `--quiet` lowers the log level to warn at most; a level already quieter (error, silent) stays. */
function quieted(level: LogLevel, quiet: boolean): LogLevel {
  return quiet && (level === 'info' || level === 'debug' || level === 'trace') ? 'warn' : level;
}

/** A PostgreSQL URL may carry a password; it must not end up in terminal scrollback or logs. */
export function redact(db: string): string {
  try {
    const url = new URL(db);
    if (url.password) url.password = '***';
    return url.protocol.startsWith('postgres') ? url.toString() : db;
  } catch {
    return db;
  }
}
