/**
 * Writing strings as UTF-8 into preallocated memory. On Node (and Bun) Buffer#write is 2-3x cheaper per event than
 * TextEncoder#encodeInto (measured ~110 ns against ~220-470 ns for a 330-byte event on Node 20), and it needs no
 * subarray view per call; elsewhere TextEncoder is the standard way.
 */
interface NodeBufferStatic {
  allocUnsafeSlow(size: number): Uint8Array & { write(s: string, offset: number, encoding: 'utf8'): number };
}

const NodeBuffer = (globalThis as { Buffer?: NodeBufferStatic }).Buffer;
const encoder = new TextEncoder();

export const allocBytes: (size: number) => Uint8Array =
  NodeBuffer !== undefined ? (size) => NodeBuffer.allocUnsafeSlow(size) : (size) => new Uint8Array(size);

/** Writes `s` at `pos` (the caller guarantees 3 bytes of room per UTF-16 unit); returns the bytes written. */
export const writeUtf8: (dst: Uint8Array, s: string, pos: number) => number =
  NodeBuffer !== undefined
    ? (dst, s, pos) => (dst as ReturnType<NodeBufferStatic['allocUnsafeSlow']>).write(s, pos, 'utf8')
    : (dst, s, pos) => encoder.encodeInto(s, pos === 0 ? dst : dst.subarray(pos)).written;
