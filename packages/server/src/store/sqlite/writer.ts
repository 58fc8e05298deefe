import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { WRITER_ENTRY } from './writer-location.js';
import type { WriterData, WriterReply, WriterRequest } from './writer-thread.js';
import { createWrites, type Writes } from './writes.js';

/**
 * The store's writes seen from the main thread: each one a promise that settles once the writer connection has
 * committed (or failed). For a file store they run on the writer thread (writer-thread.ts); ':memory:' has one
 * connection only, so its writes run on it, on the main thread.
 */
export type Writer = { [K in keyof Writes]: (...args: Parameters<Writes[K]>) => Promise<ReturnType<Writes[K]>> } & {
  close(): Promise<void>;
};

export function inProcessWriter(db: Database.Database): Writer {
  const w = createWrites(db, null);
  return {
    ingest: async (...a) => w.ingest(...a),
    createAccount: async (...a) => w.createAccount(...a),
    ensureDefaultAccount: async (...a) => w.ensureDefaultAccount(...a),
    putSegmentDefinition: async (...a) => w.putSegmentDefinition(...a),
    deleteSegmentDefinition: async (...a) => w.deleteSegmentDefinition(...a),
    linkSegmentLeaves: async (...a) => w.linkSegmentLeaves(...a),
    buildSegmentState: async (...a) => w.buildSegmentState(...a),
    healthCheck: async (...a) => w.healthCheck(...a),
    deleteCustomer: async (...a) => w.deleteCustomer(...a),
    deleteEventsBefore: async (...a) => w.deleteEventsBefore(...a),
    settings: async (...a) => w.settings(...a),
    close: async () => {},
  };
}

/** An error thrown on the writer thread, rebuilt on this side with its SQLite code (e.g. SQLITE_FULL). */
function rebuild(error: Extract<WriterReply, { ok: false }>['error']): Error {
  const err = new Error(error.message);
  err.name = error.name;
  if (error.code !== undefined) (err as Error & { code: string }).code = error.code;
  if (error.stack !== undefined) err.stack = error.stack;
  return err;
}

/**
 * Starts the writer thread from its entry script (writer-location.ts) and returns its client. Requests are answered
 * in the order they were posted. The thread is ref'd only while a request is in flight, so an idle store never keeps
 * the process alive and a pending `await store.ingest()` always does. If the thread dies, every pending and later
 * request fails with that error: nothing is acknowledged that the thread did not report committed.
 */
export function startWriterThread(data: WriterData): Writer {
  // No inherited node options: the writer needs none, and some make a worker fail to start (a server started with
  // `node --input-type=module -e …` passes --input-type on, which a worker running a file rejects).
  const worker = new Worker(WRITER_ENTRY, { workerData: data, execArgv: [] });
  worker.unref();
  const inFlight = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let failure: Error | null = null;
  let closing: Promise<void> | null = null;

  const failAll = (err: Error) => {
    failure ??= err;
    for (const p of inFlight.values()) p.reject(err);
    inFlight.clear();
  };
  worker.on('message', (reply: WriterReply) => {
    const p = inFlight.get(reply.id);
    if (!p) return;
    inFlight.delete(reply.id);
    if (inFlight.size === 0) worker.unref();
    if (reply.ok) p.resolve(reply.value);
    else p.reject(rebuild(reply.error));
  });
  worker.on('error', (err) => failAll(err instanceof Error ? err : new Error(String(err))));
  worker.on('exit', (code) => failAll(new Error(`the SQLite writer thread exited (code ${code})`)));

  function call(op: keyof Writes, args: unknown[]): Promise<never> {
    if (closing !== null) return Promise.reject(new Error('the store is closed'));
    if (failure !== null) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      inFlight.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (inFlight.size === 1) worker.ref();
      worker.postMessage({ id, op, args } satisfies WriterRequest);
    });
  }

  return {
    ingest: (...a) => call('ingest', a),
    createAccount: (...a) => call('createAccount', a),
    ensureDefaultAccount: (...a) => call('ensureDefaultAccount', a),
    putSegmentDefinition: (...a) => call('putSegmentDefinition', a),
    deleteSegmentDefinition: (...a) => call('deleteSegmentDefinition', a),
    linkSegmentLeaves: (...a) => call('linkSegmentLeaves', a),
    buildSegmentState: (...a) => call('buildSegmentState', a),
    healthCheck: (...a) => call('healthCheck', a),
    deleteCustomer: (...a) => call('deleteCustomer', a),
    deleteEventsBefore: (...a) => call('deleteEventsBefore', a),
    settings: (...a) => call('settings', a),
    close() {
      closing ??= (async () => {
        // Requests already posted are answered first (the thread handles messages in order), then it closes its
        // connection (which checkpoints the WAL) and ends.
        if (failure !== null) {
          await worker.terminate();
          return;
        }
        const exited = new Promise<void>((r) => worker.once('exit', () => r()));
        worker.ref();
        worker.postMessage({ close: true } satisfies WriterRequest);
        await exited;
      })();
      return closing;
    },
  };
}
