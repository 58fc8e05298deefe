import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { boundedStream } from '../src/activity/bounded-stream.js';

/** A real Writable that accepts one chunk and then holds every write until `release()`: a reader that stopped. */
function stalledSink() {
  const written: string[] = [];
  const held: (() => void)[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    decodeStrings: false,
    write(chunk: string, _encoding, done) {
      written.push(chunk);
      held.push(done);
    },
  });
  return {
    sink,
    written,
    release() {
      for (const done of held.splice(0)) done();
    },
  };
}

it('holds at most maxQueued messages for a stalled reader, drops the rest and says how many once it drains', async () => {
  const { sink, written, release } = stalledSink();
  const stream = boundedStream(sink, 3);
  for (let i = 0; i < 10; i++) stream.push(`m${i}`);
  // m0 went to the sink (which is now full); m1..m3 wait; m4..m9 are dropped.
  expect(written).toEqual(['m0']);
  // Keep releasing until the sink has taken everything that was kept.
  for (let i = 0; i < 20 && !written.some((w) => w.includes('dropped')); i++) {
    release();
    await new Promise((r) => setImmediate(r));
  }
  release();
  await new Promise((r) => setImmediate(r));
  expect(written).toEqual(['m0', 'm1', 'm2', 'm3', 'event: dropped\ndata: {"messages":6}\n\n']);
  // Once drained, messages flow again, in order.
  stream.push('m10');
  release();
  await new Promise((r) => setImmediate(r));
  expect(written.at(-1)).toBe('m10');
});
