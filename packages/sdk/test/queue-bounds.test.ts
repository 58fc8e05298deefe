import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/options.js';
import { clientFor } from './helpers/client.js';
import { startSink } from './helpers/sink.js';

describe('queue bounds', () => {
  it('drops events past maxQueueSize and reports the count bound', async () => {
    // The server holds the first request, so nothing settles while the burst arrives.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sink = await startSink({
      respond: async () => {
        await gate;
        return { status: 202 };
      },
    });
    try {
      const { client, outcomes, logger } = clientFor(sink, { maxQueueSize: 5, batchSize: 2, maxInFlight: 1 });
      for (let i = 0; i < 8; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
      const reason = 'queue full: maxQueueSize (5 events) reached';
      expect(outcomes).toHaveLength(3);
      expect(
        outcomes.every((o) => o.status === 'dropped' && o.code === 'queue_full_count' && o.reason === reason),
      ).toBe(true);
      // One warning for the overflow episode, not one per event.
      expect(logger.lines.filter((l) => l.level === 'warn' && l.message.includes(reason))).toHaveLength(1);
      release();
      const summary = await client.close();
      expect(summary).toMatchObject({ sent: 5, dropped: 3, reasons: { [reason]: 3 } });
      expect(sink.events.map((e) => e.identifiers.vuid)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    } finally {
      release();
      await sink.close();
    }
  });

  it('drops events past maxQueueBytes and reports the byte bound', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sink = await startSink({
      respond: async () => {
        await gate;
        return { status: 202 };
      },
    });
    try {
      // Each event serialises to a bit over 1,000 bytes: three fit in 3,500, the fourth does not.
      const { client, outcomes } = clientFor(sink, { maxQueueBytes: 3500, maxInFlight: 1 });
      const data = { pad: 'x'.repeat(800) };
      for (let i = 0; i < 5; i++) client.sendOdpEvent('a', { vuid: `v${i}` }, undefined, data);
      const reason = 'queue full: maxQueueBytes (3500 bytes) reached';
      expect(outcomes.map((o) => [o.status, o.code, o.reason])).toEqual([
        ['dropped', 'queue_full_bytes', reason],
        ['dropped', 'queue_full_bytes', reason],
      ]);
      release();
      expect(await client.close()).toMatchObject({ sent: 3, dropped: 2, reasons: { [reason]: 2 } });
    } finally {
      release();
      await sink.close();
    }
  });

  it('frees room as events settle, so a long-running client keeps going', async () => {
    const sink = await startSink();
    try {
      const { client } = clientFor(sink, { maxQueueSize: 3, batchSize: 3 });
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 3; i++) client.sendOdpEvent('a', { vuid: `r${round}-${i}` });
        expect((await client.flush()).sent).toBe(3);
      }
      expect((await client.close()).totals).toEqual({ sent: 12, failed: 0, dropped: 0, rejected: 0 });
    } finally {
      await sink.close();
    }
  });

  it('defaults leave room for a 100,000-event burst of typical events', () => {
    const typical = JSON.stringify({
      type: 'fullstack',
      action: 'purchased',
      identifiers: { fs_user_id: 'user-1234567', email: 'someone@example.com' },
      data: {
        idempotence_id: '2a0c5c0e-3c1b-4f8e-9d7e-5c3b2a1f0e9d',
        data_source_type: 'sdk',
        data_source: 'odpkit-sdk',
        data_source_version: '0.1.0',
        item: 'shirt',
        price: 50,
        currency: 'EUR',
      },
    });
    expect(DEFAULTS.maxQueueSize).toBeGreaterThanOrEqual(100_000);
    expect(DEFAULTS.maxQueueBytes).toBeGreaterThanOrEqual(100_000 * typical.length * 2);
  });
});
