import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { applyPragmas } from './schema.js';
import { createWrites, type WriteOp } from './writes.js';

/**
 * The SQLite writer thread: it owns the store's only write connection and runs every write (ingestion with its
 * stitching, accounts, segment definitions, the health probe) one message at a time. The main thread keeps its own
 * connection for reads, so HTTP parsing, validation and reads overlap with a commit instead of waiting for it.
 * This module has no side effects; the thread's entry file is writer-entry.ts.
 * Protocol: { id, op, args } → { id, ok: true, value } | { id, ok: false, error }; { close: true } closes and exits.
 */
export interface WriterData {
  path: string;
  cacheMiB: number;
}
export type WriterRequest = { id: number; op: WriteOp; args: unknown[] } | { close: true };
export type WriterReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string; stack?: string } };

/** Serves write requests from the main thread on `port` until it sends { close: true }. */
export function runWriter(port: MessagePort, data: WriterData): void {
  const db = new Database(data.path);
  applyPragmas(db, data.cacheMiB);
  const writes = createWrites(db, data.path);

  port.on('message', (message: WriterRequest) => {
    if ('close' in message) {
      db.close();
      port.close(); // nothing else is pending: the thread ends
      return;
    }
    let reply: WriterReply;
    try {
      const fn = writes[message.op] as (...args: unknown[]) => unknown;
      reply = { id: message.id, ok: true, value: fn(...message.args) };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const code = (e as { code?: unknown }).code;
      reply = {
        id: message.id,
        ok: false,
        error: { name: e.name, message: e.message, stack: e.stack, ...(typeof code === 'string' ? { code } : {}) },
      };
    }
    port.postMessage(reply);
  });
}
