import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '@odpkit/server';
import { defaults } from '../env.js';
import { UsageError } from '../pairs.js';

export interface ServeFlags {
  host: string;
  port: string;
  db: string;
  publicKey?: string;
  privateKey?: string;
  segments?: string;
  quiet?: boolean;
}

/** `odpkit serve`: start the server, print where it listens and the keys, stop cleanly on SIGINT/SIGTERM. */
export async function serve(flags: ServeFlags): Promise<void> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port "${flags.port}" is not a port number`);
  // A fresh checkout has no ./data yet; a SQLite file needs its folder to exist.
  if (!/^postgres(ql)?:\/\//.test(flags.db) && flags.db !== ':memory:') {
    mkdirSync(path.dirname(path.resolve(flags.db)), { recursive: true });
  }
  const server = await startServer({
    host: flags.host,
    port,
    db: flags.db,
    publicKey: flags.publicKey ?? defaults.publicKey(),
    privateKey: flags.privateKey ?? defaults.privateKey(),
    segmentsFile: flags.segments,
    // Structured logs on stderr, so stdout carries only the lines below that scripts read.
    logger: flags.quiet ? false : { level: process.env.ODPKIT_LOG_LEVEL ?? 'info', stream: process.stderr },
  });
  // Plain lines on stdout (logs go to stderr) so scripts can read the URL and keys.
  process.stdout.write(
    `odpkit listening on ${server.url}\n` +
      `database: ${redact(flags.db)}\n` +
      `public key (events, GraphQL): ${server.account.publicKey}\n` +
      `private key (admin API; keep it secret): ${server.account.privateKey}\n`,
  );
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`odpkit: ${signal} received, closing\n`);
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
