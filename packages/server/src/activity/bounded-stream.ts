import type { LiveStream } from './live-hub.js';

/** The part of a writable (an HTTP response) a live stream writes to. */
export interface Sink {
  write(chunk: string): boolean;
  on(event: 'drain', listener: () => void): unknown;
}

/**
 * A live stream over a sink with a bounded backlog: while the sink is full (write returned false) up to `maxQueued`
 * messages wait for its drain; more are dropped, and the reader is told how many with a `dropped` message once the
 * sink drains. A reader that stops reading costs at most `maxQueued` messages of memory.
 */
export function boundedStream(sink: Sink, maxQueued: number): LiveStream {
  let queued: string[] = [];
  let dropped = 0;
  let blocked = false;
  const stream: LiveStream = {
    push(message) {
      if (!blocked) {
        blocked = !sink.write(message);
        return;
      }
      if (queued.length < maxQueued) queued.push(message);
      else dropped++;
    },
  };
  sink.on('drain', () => {
    const backlog = queued;
    queued = [];
    blocked = false;
    if (dropped > 0) {
      backlog.push(`event: dropped\ndata: {"messages":${dropped}}\n\n`);
      dropped = 0;
    }
    // In order; if the sink fills again part-way, the rest queues again behind it.
    for (const message of backlog) stream.push(message);
  });
  return stream;
}
