import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { describeError, privateKeyOf } from '../admin-request.js';
import { type Line, parseLine, readLines } from '../import-lines.js';
import { type ProgressState, startProgress } from '../progress.js';
import { UsageError } from '../usage-error.js';

export interface ImportFlags {
  url: string;
  privateKey?: string;
  rejects?: string;
  batch: number;
}

/** Under the server's per-request caps (1,000 events, 4 MiB), with room for the JSON array around them. */
const MAX_BATCH_BYTES = 3 * 1024 * 1024;
const MAX_ATTEMPTS = 8;

interface Pending {
  lines: Line[];
  events: Record<string, unknown>[];
  bytes: number;
}

interface ImportAnswer {
  stored: number;
  duplicates: number;
  rejected: { event: number; message: string }[];
}

/** Sends one batch to the admin import endpoint, waiting and retrying while the server is overloaded or away. */
async function send(url: string, key: string, events: unknown[]): Promise<ImportAnswer> {
  const body = JSON.stringify(events);
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(new URL('/admin/v1/events/import', url), {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body,
      });
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS) throw err;
      await sleep(250 * 2 ** attempt);
      continue;
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as ImportAnswer;
    if (res.status !== 503 || attempt >= MAX_ATTEMPTS) throw new Error(`${res.status} ${describeError(text)}`);
    await sleep(Math.max(1, Number(res.headers.get('retry-after')) || 1) * 1000);
  }
}

/** The rejects file: one JSON object per rejected line, `{"line", "reason", "text"}`, created at the first one. */
function rejectsWriter(path: string) {
  let out: WriteStream | null = null;
  return {
    count: 0,
    write(line: number, reason: string, text: string) {
      out ??= createWriteStream(path);
      this.count++;
      out.write(`${JSON.stringify({ line, reason, text })}\n`);
    },
    async close() {
      if (out === null) return;
      const s = out;
      await new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}

/**
 * `odpkit import events.ndjson[.gz]`: sends an export (or any file of ODP events, one per line) through the server's
 * ingestion (validation, stitching, dedup, group commit) in batches, keeping each line's `received_at`. Lines
 * without an idempotence id get one derived from their text, so stopping and re-running stores every event once.
 * One request is in flight at a time, so events are stitched in file order.
 */
export async function importEvents(file: string, flags: ImportFlags): Promise<number> {
  const key = privateKeyOf(flags);
  if (!key) throw new UsageError('the private key is needed: --private-key K or ODPKIT_PRIVATE_KEY');
  let totalBytes: number;
  try {
    totalBytes = statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const rejectsPath = flags.rejects ?? `${file.replace(/\.gz$/, '')}.rejects.ndjson`;
  const state: ProgressState = { events: 0, rejected: 0, bytes: 0, totalBytes };
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      state.bytes += chunk.length;
      done(null, chunk);
    },
  });
  let input: AsyncIterable<Buffer> = createReadStream(file).pipe(counter);
  if (file.endsWith('.gz')) input = (input as Transform).pipe(createGunzip());
  const rejects = rejectsWriter(rejectsPath);
  const totals = { stored: 0, duplicates: 0, derivedIds: 0 };
  const progress = startProgress(state);

  const flush = async (batch: Pending) => {
    const answer = await send(flags.url, key, batch.events);
    totals.stored += answer.stored;
    totals.duplicates += answer.duplicates;
    for (const r of answer.rejected) {
      const line = batch.lines[r.event] as Line;
      rejects.write(line.number, r.message, line.text);
    }
    state.rejected = rejects.count;
    state.events += batch.events.length - answer.rejected.length;
  };

  let inFlight: Promise<void> = Promise.resolve();
  let batch: Pending = { lines: [], events: [], bytes: 0 };
  try {
    for await (const line of readLines(input)) {
      if (line.text.trim() === '') continue;
      const parsed = parseLine(line.text);
      if (!parsed.ok) {
        rejects.write(line.number, parsed.reason, line.text);
        state.rejected = rejects.count;
        continue;
      }
      if (parsed.derivedId) totals.derivedIds++;
      const size = Buffer.byteLength(line.text) + 64; // + room for the idempotence id it may get
      if (batch.events.length >= flags.batch || batch.bytes + size > MAX_BATCH_BYTES) {
        // Reading and parsing the next batch overlaps the request in flight; the next request waits for it.
        await inFlight;
        inFlight = flush(batch);
        batch = { lines: [], events: [], bytes: 0 };
      }
      batch.lines.push(line);
      batch.events.push(parsed.event);
      batch.bytes += size;
    }
    await inFlight;
    if (batch.events.length > 0) await flush(batch);
  } finally {
    progress.done();
    await rejects.close();
  }

  const summary = [
    `imported ${file}: ${totals.stored} stored, ${totals.duplicates} already stored (duplicates), ${rejects.count} rejected`,
    `in ${(progress.elapsedMs() / 1000).toFixed(1)} s (${Math.round((state.events * 1000) / Math.max(1, progress.elapsedMs()))} events/s)`,
  ];
  if (totals.derivedIds > 0) {
    summary.push(`${totals.derivedIds} lines had no data.idempotence_id: each got one derived from the line's text`);
  }
  if (rejects.count > 0) summary.push(`rejected lines and reasons: ${rejectsPath}`);
  process.stderr.write(`${summary.join('\n')}\n`);
  return rejects.count > 0 ? 1 : 0;
}
