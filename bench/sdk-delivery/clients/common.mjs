// What every client process shares: the event content, the send loop, and the measurements.
//
// A client process is forked by run.mjs with: argv = [port, events, mode], mode = 'tight' | 'yield'.
// It creates its SDK client, starts the clock, sends `events` events (yielding to the event loop with
// `await setImmediate()` every 1,000 events in 'yield' mode), then flushes/closes the way the SDK documents.
// Then it waits until run.mjs says the sink has every event (or gives up), or until its own event loop has nothing
// left to do, whichever comes first; only then it reads its CPU time and peak RSS, reports, and exits.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export const now = () => performance.timeOrigin + performance.now();

const YIELD_EVERY = 1000;

/**
 * The benchmark event i, as plain values: each SDK maps them onto its own call shape.
 * Identifiers fs_user_id + email; five data properties, one of which (`seq`) lets the sink count unique events.
 * On the ODP wire, with the official SDK's four common data keys, this is about 345 bytes of JSON per event.
 */
export function eventValues(i) {
  const user = 100000 + (i % 5000);
  return {
    action: 'purchase',
    type: 'fullstack',
    userId: `user-${user}`,
    email: `user${user}@example.com`,
    seq: i,
    productId: `sku-${10000 + (i % 977)}`,
    price: 19.99,
    currency: 'EUR',
    quantity: 1 + (i % 3),
  };
}

/** The event's data properties (everything but the identifiers and the action), under the ODP wire's names. */
export function dataProperties(v) {
  return { seq: v.seq, product_id: v.productId, price: v.price, currency: v.currency, quantity: v.quantity };
}

function statusKb(field) {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : null;
}

function cloneable(value) {
  try {
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

function cpuMicros(since) {
  const u = process.cpuUsage(since);
  return u.user + u.system;
}

/**
 * Runs one measured delivery.
 * @param {object} driver
 * @param {string} driver.name
 * @param {(port: number) => Promise<unknown>} driver.create  creates a ready client
 * @param {(client: unknown, i: number) => void} driver.send   sends event i
 * @param {(client: unknown) => Promise<unknown>} driver.finish  flush/close as documented; may return a summary
 * @param {(client: unknown) => unknown} [driver.report]  optional: anything the SDK told us, read at the very end
 */
export async function runClient(driver) {
  const [portArg, eventsArg, mode] = process.argv.slice(2);
  const port = Number(portArg);
  const events = Number(eventsArg);
  if (!process.send) throw new Error('run me through run.mjs (needs an IPC channel)');

  let stopRequested = null;
  const stopped = new Promise((resolve) => {
    stopRequested = resolve;
  });
  process.on('message', (msg) => {
    if (msg.cmd === 'stop') stopRequested(msg.reason);
  });
  process.on('disconnect', () => process.exit(1)); // run.mjs went away: do not linger

  const client = await driver.create(port);
  const rssBeforeKb = statusKb('VmRSS');

  const cpu0 = process.cpuUsage();
  const t0 = now();
  // In case this process stops answering (e.g. stuck in GC at the cap), the parent measures it from /proc.
  process.send({ type: 'started', t0, cpuAtT0Us: cpu0.user + cpu0.system, rssBeforeKb });
  if (mode === 'yield') {
    for (let i = 0; i < events; i++) {
      driver.send(client, i);
      if ((i + 1) % YIELD_EVERY === 0) await yieldToLoop();
    }
  } else {
    for (let i = 0; i < events; i++) driver.send(client, i);
  }
  const tLoop = now();
  const cpuLoop = cpuMicros(cpu0);

  let summary = null;
  let finishError = null;
  // The parent may give up (cap) before close() resolves: then measure right away.
  const closing = Promise.resolve()
    .then(() => driver.finish(client))
    .then(
      (s) => {
        summary = s;
      },
      (err) => {
        finishError = String(err?.stack ?? err);
      },
    )
    .then(() => null);
  let endReason = await Promise.race([closing, stopped]);
  const tFinish = now();
  const cpuFinish = cpuMicros(cpu0);
  if (endReason === null) {
    process.send({ type: 'finished', t0, tLoop, tFinish });
    // Wait for the parent (sink complete, or cap reached) or for our own event loop to run dry, whichever comes
    // first. The IPC channel is unref'd so that it does not keep the loop alive by itself.
    process.channel.unref();
    const drained = new Promise((resolve) => process.once('beforeExit', () => resolve('event loop drained')));
    endReason = await Promise.race([stopped, drained]);
  } else {
    endReason = `${endReason} (close/flush had not resolved)`;
  }

  const cpuTotal = cpuMicros(cpu0);
  const report = driver.report ? driver.report(client) : null;
  process.channel.ref();
  process.send(
    {
      type: 'result',
      sdk: driver.name,
      mode,
      events,
      t0,
      tLoop,
      tFinish,
      tEnd: now(),
      endReason,
      cpuLoopUs: cpuLoop,
      cpuFinishUs: cpuFinish,
      cpuTotalUs: cpuTotal,
      rssBeforeKb,
      peakRssKb: statusKb('VmHWM'),
      summary: cloneable(summary),
      report: cloneable(report),
      finishError,
    },
    () => process.exit(0),
  );
}
