import type { IntegratedConfig } from '../types.js';

/** A batch ready to send: its exact body bytes, and where each event sits in it (to settle or re-send each one). */
export interface Batch {
  body: Uint8Array;
  seqs: number[];
  starts: number[];
  lens: number[];
}

/** An event taken out of the queue without being sent: its sequence number and UTF-8 size. */
export interface Removed {
  seq: number;
  bytes: number;
}

/**
 * FIFO of serialised events waiting to be batched, as the dispatcher uses it. Each platform picks the store that
 * suits it: off-heap slabs where 100,000-event bursts happen (Node), a plain array in a page.
 */
export interface EventStore {
  readonly length: number;
  /** Encodes the event for the tail without committing it; returns its UTF-8 byte length. */
  stage(json: string): number;
  /** Commits the event last staged; null holds it until a configuration gives it a destination. */
  commit(seq: number, target: IntegratedConfig | null): void;
  seqAt(i: number): number;
  /** undefined past the end; null for a held event. */
  targetAt(i: number): IntegratedConfig | null | undefined;
  /** The JSON text of the event at i (read, not removed). */
  jsonAt(i: number): string;
  bytesAt(i: number): number;
  /** Gives every held event its destination. */
  assignHeld(target: IntegratedConfig): void;
  /** Removes and returns the first n events as a ready-to-send batch. */
  take(n: number): Batch;
  /** Removes every event (shutdown gave up on them). */
  removeAll(): Removed[];
  /** Removes every held event. */
  removeHeld(): Removed[];
}

export const utf8Decoder = new TextDecoder();
const COMMA = 0x2c;

/** The JSON array of the given events' UTF-8 bytes, with where each one sits in it. */
export function joinBatch(seqs: number[], parts: Uint8Array[]): Batch {
  let total = 1;
  for (const p of parts) total += p.length + 1;
  const body = new Uint8Array(total);
  const starts: number[] = [];
  const lens: number[] = [];
  body[0] = 0x5b; // [
  let at = 1;
  for (const p of parts) {
    body.set(p, at);
    starts.push(at);
    lens.push(p.length);
    at += p.length;
    body[at++] = COMMA;
  }
  body[total - 1] = 0x5d; // ] replaces the last separator
  return { body, seqs, starts, lens };
}

/** The UTF-8 bytes of event k of a batch (a view, not a copy). */
const eventBytes = (b: Batch, k: number) => b.body.subarray(b.starts[k]!, b.starts[k]! + b.lens[k]!);

/** A new batch holding only the events at `keep` (indexes into `b`), e.g. the valid rest after a 400. */
export function subBatch(b: Batch, keep: number[]): Batch {
  return joinBatch(
    keep.map((k) => b.seqs[k]!),
    keep.map((k) => eventBytes(b, k)),
  );
}

/** The JSON text of event k of a batch (only decoded when an outcome listener wants the event). */
export function eventJson(b: Batch, k: number): string {
  return utf8Decoder.decode(eventBytes(b, k));
}
