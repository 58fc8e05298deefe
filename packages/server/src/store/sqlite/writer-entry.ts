import { parentPort, workerData } from 'node:worker_threads';
import { runWriter, type WriterData } from './writer-thread.js';

// Entry of the SQLite writer thread (dist/sqlite-writer.js, see tsup.config.ts and writer-thread.ts).
if (parentPort === null) throw new Error('the SQLite writer must run in a worker thread');
runWriter(parentPort, workerData as WriterData);
