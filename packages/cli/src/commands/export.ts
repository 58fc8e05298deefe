import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGzip } from 'node:zlib';
import { exportChunks, openEventReader, parseTime, WHOLE_HISTORY } from '@odpkit/server';
import { describeError, privateKeyOf } from '../admin-request.js';
import { parseDb } from '../flags.js';
import { UsageError } from '../usage-error.js';

export interface ExportFlags {
  out: string;
  since?: string;
  until?: string;
  /** Read the database directly instead of asking a server. */
  db?: string;
  url: string;
  privateKey?: string;
}

function timeFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseTime(raw);
  if (ms === null) throw new UsageError(`--${name} must be an ISO 8601 date-time or ms since the epoch (got "${raw}")`);
  return ms;
}

/** Counts the lines (events) going through. */
function lineCounter(): Transform & { lines: number } {
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) counter.lines++;
      done(null, chunk);
    },
  });
  const counter = Object.assign(t, { lines: 0 });
  return counter;
}

/**
 * `odpkit export --out events.ndjson[.gz]`: every event of the account, one JSON object per line, streamed in
 * constant memory from a server's admin API or straight from its database (`--db`, read-only). The file appears under
 * its name only when complete: it is written as `<out>.partial` and renamed at the end.
 */
export async function exportEvents(flags: ExportFlags): Promise<number> {
  const since = timeFlag('since', flags.since);
  const until = timeFlag('until', flags.until);
  const range = { sinceMs: since ?? WHOLE_HISTORY.sinceMs, untilMs: until ?? WHOLE_HISTORY.untilMs };
  let source: Readable;
  let close = async () => {};
  if (flags.db !== undefined) {
    const db = parseDb(flags.db);
    const reader = await openEventReader(db.kind === 'sqlite' ? db.path : db.url, privateKeyOf(flags));
    source = Readable.from(exportChunks(reader, range));
    close = () => reader.close();
  } else {
    const key = privateKeyOf(flags);
    if (!key) throw new UsageError('the private key is needed: --private-key K or ODPKIT_PRIVATE_KEY (or --db PATH)');
    const query = new URLSearchParams();
    if (since !== undefined) query.set('since', String(since));
    if (until !== undefined) query.set('until', String(until));
    const res = await fetch(new URL(`/admin/v1/events/export?${query}`, flags.url), { headers: { 'x-api-key': key } });
    if (!res.ok || res.body === null) {
      process.stderr.write(`${res.status} ${describeError(await res.text())}\n`);
      return 1;
    }
    source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }
  const partial = `${flags.out}.partial`;
  const counter = lineCounter();
  try {
    const file = createWriteStream(partial);
    if (flags.out.endsWith('.gz')) await pipeline(source, counter, createGzip(), file);
    else await pipeline(source, counter, file);
    await rename(partial, flags.out);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await close();
  }
  process.stderr.write(`exported ${counter.lines} events to ${flags.out}\n`);
  return 0;
}
