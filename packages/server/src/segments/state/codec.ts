// The storage form of one customer's state: every leaf's state in one binary value, so ingestion reads and writes one
// row per customer touched (not one per customer and leaf), and a query reads one row.
//
// Entries, one after another: leaf id (uint32), kind (uint8: 0 count, 1 times), n (uint32: the count, or the number
// of timestamps), then for `times` n receivedAt values as float64 (exact for millisecond timestamps), newest first.
// Self-describing, so a reader needs no leaf specs; an entry whose leaf no longer exists is skipped by readers and
// left out at the customer's next write.

import type { LeafState } from './leaf-state.js';

export function encodeStates(states: Iterable<[number, LeafState]>): Buffer {
  const list = [...states];
  let size = 0;
  for (const [, s] of list) size += 9 + (s.kind === 'times' ? 8 * s.times.length : 0);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [leaf, s] of list) {
    buf.writeUInt32BE(leaf, at);
    if (s.kind === 'count') {
      buf.writeUInt8(0, at + 4);
      buf.writeUInt32BE(s.n, at + 5);
      at += 9;
    } else {
      buf.writeUInt8(1, at + 4);
      buf.writeUInt32BE(s.times.length, at + 5);
      at += 9;
      for (const t of s.times) {
        buf.writeDoubleBE(t, at);
        at += 8;
      }
    }
  }
  return buf;
}

export function decodeStates(bytes: Uint8Array | null | undefined): Map<number, LeafState> {
  const out = new Map<number, LeafState>();
  if (bytes === null || bytes === undefined) return out;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 9 <= buf.length) {
    const leaf = buf.readUInt32BE(at);
    const kind = buf.readUInt8(at + 4);
    const n = buf.readUInt32BE(at + 5);
    at += 9;
    if (kind === 0) out.set(leaf, { kind: 'count', n });
    else {
      const times = new Array<number>(n);
      for (let i = 0; i < n; i++) times[i] = buf.readDoubleBE(at + 8 * i);
      at += 8 * n;
      out.set(leaf, { kind: 'times', times });
    }
  }
  return out;
}
