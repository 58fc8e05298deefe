import { createFetchTransport } from '@odpkit/sdk';
import { WIRE_LIMITS } from '@odpkit/sdk/limits';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { type Sink, startSink } from './helpers/sink.js';

let sink: Sink;
beforeEach(async () => {
  sink = await startSink();
});
afterEach(() => sink.close());

const sizes = () => sink.requests.map((r) => JSON.parse(r.body).length);

describe('batching', () => {
  it('sends a batch as soon as it reaches batchSize; the rest waits for its interval or a flush', async () => {
    // flushInterval is far beyond the test, so only size can trigger the first two requests.
    const { client } = clientFor(sink, { batchSize: 3, flushInterval: 600_000 });
    for (let i = 0; i < 7; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
    await sink.waitForRequests(2);
    expect(sizes()).toEqual([3, 3]);
    const summary = await client.flush();
    expect(sizes()).toEqual([3, 3, 1]);
    expect(summary.sent).toBe(7);
    // Order is preserved across batches.
    expect(sink.events.map((e) => e.identifiers.vuid)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    await client.close();
  });

  it('sends a partial batch once flushInterval has passed, without flush()', async () => {
    const { client } = clientFor(sink, { batchSize: 10, flushInterval: 30 });
    for (let i = 0; i < 3; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
    await sink.waitForRequests(1);
    expect(sizes()).toEqual([3]);
    await client.close();
  });

  it('flushInterval 0 sends every event on its own, whatever batchSize says', async () => {
    const { client } = clientFor(sink, { batchSize: 50, flushInterval: 0 });
    for (let i = 0; i < 5; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
    await sink.waitForRequests(5);
    expect(sizes()).toEqual([1, 1, 1, 1, 1]);
    await client.close();
  });

  it('includes events sent while a flush is under way in the next flush', async () => {
    const { client } = clientFor(sink, { batchSize: 10, flushInterval: 600_000 });
    client.sendOdpEvent('a', { vuid: 'first' });
    const first = client.flush();
    client.sendOdpEvent('a', { vuid: 'second' });
    const second = client.flush();
    expect((await first).sent).toBe(1);
    expect((await second).sent).toBe(1);
    expect(sink.events.map((e) => e.identifiers.vuid).sort()).toEqual(['first', 'second']);
    await client.close();
  });

  it('never has more than maxInFlight requests outstanding', async () => {
    let open = 0;
    let maxOpen = 0;
    const slow = await startSink({
      respond: async () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        await new Promise((r) => setTimeout(r, 5));
        open--;
        return { status: 202 };
      },
    });
    try {
      const { client } = clientFor(slow, { batchSize: 1, maxInFlight: 2 });
      for (let i = 0; i < 30; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
      expect((await client.close()).sent).toBe(30);
      expect(maxOpen).toBeLessThanOrEqual(2);
      expect(slow.connections.maxOpen).toBeLessThanOrEqual(2);
    } finally {
      await slow.close();
    }
  });

  it('holds maxInFlight through the fetch transport, where no agent socket limit stands behind it', async () => {
    // Each answer waits a little, so that requests a dispatcher ignoring maxInFlight sent together overlap. On Node
    // the default transport's Agent (maxSockets = maxInFlight) would hide that; fetch in browsers and edge runtimes
    // has no such backstop, so this counts what the server sees through fetch.
    const slow = await startSink({
      respond: async () => {
        await new Promise((r) => setTimeout(r, 20));
        return { status: 202 };
      },
    });
    try {
      const transport = createFetchTransport();
      const { client } = clientFor(slow, { batchSize: 1, flushInterval: 0, maxInFlight: 3, transport });
      for (let i = 0; i < 40; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
      expect((await client.close()).sent).toBe(40);
      expect(slow.inFlight.max).toBeLessThanOrEqual(3);
      // And the bound is used, not just respected: three requests did overlap.
      expect(slow.inFlight.max).toBe(3);
    } finally {
      await slow.close();
    }
  });

  it("keeps every request under the server's body limit, even when batchSize events of the largest size would not", async () => {
    const { client } = clientFor(sink, { batchSize: 100, maxInFlight: 1 });
    // 80 events of about 60 kB: one batch of all of them would be about 4.8 MB, over maxBodyBytes (4 MiB).
    for (let i = 0; i < 80; i++)
      client.sendOdpEvent('big', { vuid: `v${i}` }, undefined, { blob: 'x'.repeat(60_000), i });
    expect((await client.close()).sent).toBe(80);
    expect(sink.events).toHaveLength(80);
    expect(sink.requests.length).toBeGreaterThan(1);
    for (const r of sink.requests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(WIRE_LIMITS.maxBodyBytes);
  });

  describe('backlog', () => {
    /** A sink whose first request waits for release(), so everything sent meanwhile piles up behind it. */
    async function gatedSink() {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const gated = await startSink({
        respond: async (_req, i) => {
          if (i === 0) await gate;
          return { status: 202 };
        },
      });
      return { gated, release };
    }
    const sizesOf = (s: Sink) => s.requests.map((r) => JSON.parse(r.body).length);

    it('events already waiting for a slot share requests up to maxBatchSize, in order', async () => {
      const { gated, release } = await gatedSink();
      try {
        const { client } = clientFor(gated, { batchSize: 5, maxBatchSize: 20, maxInFlight: 1 });
        for (let i = 0; i < 35; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
        await gated.waitForRequests(1);
        release();
        expect((await client.close()).sent).toBe(35);
        expect(sizesOf(gated)).toEqual([5, 20, 10]);
        expect(gated.events.map((e) => e.identifiers.vuid)).toEqual(Array.from({ length: 35 }, (_, i) => `v${i}`));
      } finally {
        release();
        await gated.close();
      }
    });

    it('maxBatchSize equal to batchSize keeps every request at batchSize', async () => {
      const { gated, release } = await gatedSink();
      try {
        const { client } = clientFor(gated, { batchSize: 5, maxBatchSize: 5, maxInFlight: 1 });
        for (let i = 0; i < 15; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
        await gated.waitForRequests(1);
        release();
        await client.close();
        expect(sizesOf(gated)).toEqual([5, 5, 5]);
      } finally {
        release();
        await gated.close();
      }
    });

    it('flushInterval 0 keeps one event per request even with a backlog', async () => {
      const { gated, release } = await gatedSink();
      try {
        const { client } = clientFor(gated, { flushInterval: 0, maxInFlight: 1 });
        for (let i = 0; i < 4; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
        await gated.waitForRequests(1);
        release();
        await client.close();
        expect(sizesOf(gated)).toEqual([1, 1, 1, 1]);
      } finally {
        release();
        await gated.close();
      }
    });
  });
});
