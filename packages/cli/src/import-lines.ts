import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

/**
 * Reading an NDJSON import: lines with their numbers, in constant memory (the next chunk is read only when the lines
 * of the previous one are consumed), and the idempotence id of a line that has none.
 */

export interface Line {
  /** 1-based. */
  number: number;
  text: string;
}

export async function* readLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let number = 0;
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk);
    const parts = text.split('\n');
    rest = parts.pop() as string;
    for (const part of parts) yield { number: ++number, text: part.replace(/\r$/, '') };
  }
  rest += decoder.end();
  if (rest !== '') yield { number: ++number, text: rest.replace(/\r$/, '') };
}

/**
 * The idempotence id of an event line without one: a UUID made from the SHA-256 of the line's text, so a re-run of
 * the same file sends the same ids and the server stores each event once. Two identical lines are one event.
 */
export function lineIdempotenceId(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80; // version 8: a custom UUID
  h[8] = ((h[8] as number) & 0x3f) | 0x80; // the RFC 4122 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type ParsedLine =
  | { ok: true; event: Record<string, unknown>; derivedId: boolean }
  | { ok: false; reason: string };

/** One line as an event, with an idempotence id added when it has none; blank lines are skipped by the caller. */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message.slice(0, 200)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'a line must hold one JSON object (an event)' };
  }
  const event = value as Record<string, unknown>;
  const data = event['data'];
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    return { ok: true, event, derivedId: false }; // the server says what is wrong with it
  }
  const record = (data ?? {}) as Record<string, unknown>;
  if (record['idempotence_id'] !== undefined) return { ok: true, event, derivedId: false };
  // Defined as plain data so a "__proto__" key in the line stays a key.
  const withId = Object.defineProperty({ ...record }, 'idempotence_id', {
    value: lineIdempotenceId(text),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return { ok: true, event: { ...event, data: withId }, derivedId: true };
}
