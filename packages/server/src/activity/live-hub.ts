/**
 * Fan-out of committed and rejected batches to the console's live streams. Streams are keyed by account, so a message
 * only ever reaches streams opened with that account's private key. Messages are built only when the account has a
 * stream open: ingestion pays nothing for the console otherwise.
 */

export interface LiveStream {
  /** One SSE message (event + data lines); the stream bounds its own buffer. */
  push(message: string): void;
}

/** Concurrent live streams per account; one more is refused (409), so a forgotten tab cannot pile up connections. */
export const MAX_STREAMS_PER_ACCOUNT = 4;

export class LiveHub {
  private readonly streams = new Map<string, Set<LiveStream>>();

  constructor(readonly maxPerAccount: number = MAX_STREAMS_PER_ACCOUNT) {}

  /** Adds the stream, or returns null when the account already has the maximum open. */
  open(accountId: string, stream: LiveStream): (() => void) | null {
    let set = this.streams.get(accountId);
    if (set === undefined) {
      set = new Set();
      this.streams.set(accountId, set);
    }
    if (set.size >= this.maxPerAccount) return null;
    set.add(stream);
    const own = set;
    return () => {
      own.delete(stream);
      if (own.size === 0 && this.streams.get(accountId) === own) this.streams.delete(accountId);
    };
  }

  listening(accountId: string): boolean {
    return this.streams.has(accountId);
  }

  publish(accountId: string, event: string, data: string): void {
    const set = this.streams.get(accountId);
    if (set === undefined) return;
    const message = `event: ${event}\ndata: ${data}\n\n`;
    for (const stream of set) stream.push(message);
  }
}
