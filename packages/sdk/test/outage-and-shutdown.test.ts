import { afterEach, describe, expect, it } from 'vitest';
import { retriesToOutlast } from '../src/event/retry-policy.js';
import { DEFAULTS } from '../src/options.js';
import { clientFor } from './helpers/client.js';
import { ACCEPTED, type Reply, type Responder, type Sink, startSink } from './helpers/sink.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function sinkFor(respond?: Responder): Promise<Sink> {
  const sink = await startSink(respond ? { respond } : {});
  cleanups.push(() => sink.close());
  return sink;
}

/** The production retry schedule: clientFor's short test delays are taken out again. */
const DEFAULT_RETRIES = { retryBaseDelay: undefined, retryMaxDelay: undefined, maxRetries: undefined };

describe('a server restart with the default retry policy', () => {
  it('the default schedule outlasts a 30 s outage, and a later attempt follows within retryMaxDelay', () => {
    // The real-time test below uses a 3 s outage so that it stays short; this proves the same policy for 30 s:
    // enough retries at the shortest waits jitter can draw, and no wait longer than retryMaxDelay once it is back.
    const needed = retriesToOutlast(30_000, DEFAULTS.retryBaseDelay, DEFAULTS.retryMaxDelay);
    expect(needed).toBeGreaterThan(3);
    expect(needed).toBeLessThanOrEqual(DEFAULTS.maxRetries);
    expect(DEFAULTS.retryMaxDelay).toBeLessThanOrEqual(30_000);
    // The previous defaults (3 retries from 200 ms) gave up after under 1.5 s: the check above would catch them.
    expect(retriesToOutlast(30_000, 200, 30_000)).toBeGreaterThan(3);
  });

  it('25 events sent while the server is down for 3 s all arrive once it is back, none failed', async () => {
    const sink = await sinkFor();
    await sink.stop();
    const { client, outcomes, logger } = clientFor(sink, { ...DEFAULT_RETRIES, logLevel: 'warn' });
    cleanups.push(() => client.close({ timeout: 0 }));
    for (let i = 0; i < 25; i++) client.sendOdpEvent('during_outage', { fs_user_id: `u${i}` }, undefined, { i });
    // The outage starts counting when the client first finds the server down (its first attempt was refused).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (logger.lines.some((l) => l.level === 'warn' && l.message.includes('ECONNREFUSED'))) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
    await new Promise((r) => setTimeout(r, 3000));
    await sink.restart();
    const summary = await client.flush({ timeout: 60_000 });
    expect(summary).toMatchObject({ sent: 25, failed: 0, dropped: 0, pending: 0, timedOut: false });
    expect(new Set(sink.events.map((e) => e.data.i))).toEqual(new Set(Array.from({ length: 25 }, (_, i) => i)));
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    // It did see the outage: the events needed more than one attempt.
    expect(Math.max(...outcomes.map((o) => o.attempts ?? 0))).toBeGreaterThan(1);
  }, 30_000);
});

describe('close({ timeout }) and flush({ timeout })', () => {
  it('close({ timeout }) against a server that accepts and never answers resolves, reporting every event', async () => {
    const sink = await sinkFor(() => 'hang');
    // A request timeout far past the test timeout: only close's own timeout can end this test in time.
    const { client, outcomes, logger } = clientFor(sink, { ...DEFAULT_RETRIES, requestTimeout: 120_000 });
    for (let i = 0; i < 5; i++) client.sendOdpEvent('stuck', { fs_user_id: `u${i}` });
    await sink.waitForRequests(1);
    const summary = await client.close({ timeout: 200 });
    const reason =
      'not delivered: close() timed out after 200 ms while its request was in flight (the server may still have received it)';
    expect(summary).toMatchObject({ sent: 0, failed: 5, pending: 0, timedOut: true, reasons: { [reason]: 5 } });
    expect(outcomes).toHaveLength(5);
    for (const o of outcomes)
      expect(o).toMatchObject({ status: 'failed', code: 'shutdown_timeout', reason, attempts: 1 });
    expect(outcomes.map((o) => o.event?.identifiers.fs_user_id).sort()).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
    expect(logger.errors()).toContainEqual('odpkit: 5 event(s) not delivered: close() timed out after 200 ms');
  });

  it('close({ timeout }) while the server is down names the last error of the batch waiting to retry', async () => {
    const sink = await sinkFor();
    await sink.stop();
    const { client, outcomes } = clientFor(sink, { ...DEFAULT_RETRIES, retryBaseDelay: 60_000 });
    client.sendOdpEvent('refused', { fs_user_id: 'u' });
    client.sendOdpEvent('queued', { fs_user_id: 'u' });
    const summary = await client.close({ timeout: 300 });
    expect(summary).toMatchObject({ failed: 2, timedOut: true });
    expect(outcomes.map((o) => o.code)).toEqual(['shutdown_timeout', 'shutdown_timeout']);
    expect(outcomes[0]!.reason).toMatch(
      /^not delivered: close\(\) timed out after 300 ms while waiting to retry; last attempt: network error ECONNREFUSED/,
    );
  });

  it('close() without a timeout is bounded by flushTimeout', async () => {
    const sink = await sinkFor(() => 'hang');
    const { client, outcomes } = clientFor(sink, { requestTimeout: 120_000, flushTimeout: 150 });
    client.sendOdpEvent('stuck', { fs_user_id: 'u' });
    expect(await client.close()).toMatchObject({ failed: 1, timedOut: true });
    expect(outcomes[0]!.reason).toMatch(/close\(\) timed out after 150 ms/);
  });

  it('a queued event that never left is reported as still queued', async () => {
    const sink = await sinkFor(() => 'hang');
    // One request slot, taken by the first event: the second can only wait in the queue.
    const { client, outcomes } = clientFor(sink, { requestTimeout: 120_000, maxInFlight: 1, flushInterval: 0 });
    client.sendOdpEvent('first', { fs_user_id: 'u' });
    client.sendOdpEvent('second', { fs_user_id: 'u' });
    await client.close({ timeout: 100 });
    expect(outcomes.map((o) => o.reason)).toContain(
      'not delivered: close() timed out after 100 ms while it was still queued',
    );
  });

  it('flush({ timeout }) resolves with what is still pending; those events keep going and settle later', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sink = await sinkFor(async (): Promise<Reply> => {
      await gate;
      return ACCEPTED;
    });
    const { client, outcomes } = clientFor(sink, { requestTimeout: 120_000 });
    cleanups.push(() => client.close({ timeout: 0 }));
    for (let i = 0; i < 3; i++) client.sendOdpEvent('slow', { fs_user_id: `u${i}` });
    const first = await client.flush({ timeout: 100 });
    const reason = 'still being delivered when flush() stopped waiting after 100 ms';
    expect(first).toMatchObject({ sent: 0, failed: 0, pending: 3, timedOut: true, reasons: { [reason]: 3 } });
    expect(outcomes).toHaveLength(0); // nothing was given up on
    release();
    const second = await client.flush({ timeout: 60_000 });
    expect(second).toMatchObject({ sent: 3, pending: 0, timedOut: false, totals: { sent: 3 } });
    expect(sink.events).toHaveLength(3);
  });

  it('an invalid timeout is logged and the default used; the call does not throw', async () => {
    const sink = await sinkFor();
    const { client, logger } = clientFor(sink);
    client.sendOdpEvent('a', { fs_user_id: 'u' });
    const summary = await client.flush({ timeout: -1 });
    expect(summary.sent).toBe(1);
    expect(logger.errors()).toContainEqual(
      'odpkit: flush({ timeout }) must be a number of ms ≥ 0 (got number -1); using flushTimeout (10000 ms)',
    );
    await client.close();
  });
});
