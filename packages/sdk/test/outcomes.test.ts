import type { EventOutcome } from '@odpkit/sdk';
import { describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { startSink } from './helpers/sink.js';

describe('outcomes and summaries', () => {
  it('reports each status through listeners and in the flush summary, with totals', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sink = await startSink({
      respond: async (req) => {
        await gate;
        return req.body.includes('"bad"') ? { status: 422, body: '{"detail":"no"}' } : { status: 202 };
      },
    });
    try {
      const { client, outcomes } = clientFor(sink, { maxQueueSize: 2, flushInterval: 0, maxInFlight: 1 });
      const seen: EventOutcome[] = [];
      const listener = (o: EventOutcome) => seen.push(o);
      client.on('event', listener);
      client.sendOdpEvent('good', { vuid: 'v' }); // sent
      client.sendOdpEvent('bad', { vuid: 'v' }); // failed: 422 is not retried
      client.sendOdpEvent('overflow', { vuid: 'v' }); // dropped: maxQueueSize 2
      client.sendOdpEvent('', { vuid: 'v' }); // rejected
      release();
      const summary = await client.flush();
      expect(summary).toEqual({
        sent: 1,
        failed: 1,
        dropped: 1,
        rejected: 1,
        pending: 0,
        timedOut: false,
        reasons: {
          'HTTP 422: no': 1,
          'queue full: maxQueueSize (2 events) reached': 1,
          'action must be a non-empty string (got string "")': 1,
        },
        totals: { sent: 1, failed: 1, dropped: 1, rejected: 1 },
      });
      expect(outcomes.map((o) => o.status).sort()).toEqual(['dropped', 'failed', 'rejected', 'sent']);
      const sent = outcomes.find((o) => o.status === 'sent')!;
      expect(sent).toMatchObject({ code: 'accepted', reason: 'accepted by the server (HTTP 202)', attempts: 1 });
      expect(sent.event).toMatchObject({ action: 'good', identifiers: { vuid: 'v' } });
      expect(seen).toHaveLength(4);

      // The next window counts only its own events; totals keep growing. off() stops a listener.
      client.off('event', listener);
      client.sendOdpEvent('good', { vuid: 'v' });
      const next = await client.close();
      expect(next).toMatchObject({ sent: 1, failed: 0, dropped: 0, rejected: 0, reasons: {} });
      expect(next.totals).toEqual({ sent: 2, failed: 1, dropped: 1, rejected: 1 });
      expect(seen).toHaveLength(4);
    } finally {
      release();
      await sink.close();
    }
  });

  it('close() flushes, resolves with the summary, and refuses later events with a reason', async () => {
    const sink = await startSink();
    try {
      const { client, outcomes, logger } = clientFor(sink, { flushInterval: 600_000 });
      client.sendOdpEvent('a', { vuid: 'v' });
      const summary = await client.close();
      expect(summary.sent).toBe(1);
      expect(sink.events).toHaveLength(1);
      expect(await client.close()).toBe(summary); // idempotent
      client.sendOdpEvent('after', { vuid: 'v' });
      client.identifyUser({ vuid: 'v', fs_user_id: 'u' });
      const reason = 'the client is closed: events sent after close() are not delivered';
      expect(outcomes.slice(1)).toEqual([
        { status: 'rejected', code: 'client_closed', reason },
        { status: 'rejected', code: 'client_closed', reason },
      ]);
      expect(logger.errors().filter((m) => m.includes(reason))).toHaveLength(1);
      expect((await client.flush()).rejected).toBe(2);
      expect(sink.events).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it('flush() with nothing queued resolves at once with zero counts', async () => {
    const sink = await startSink();
    try {
      const { client } = clientFor(sink);
      expect(await client.flush()).toMatchObject({ sent: 0, failed: 0, dropped: 0, rejected: 0 });
      await client.close();
    } finally {
      await sink.close();
    }
  });

  it('a listener that throws does not break delivery', async () => {
    const sink = await startSink();
    try {
      const { client, logger } = clientFor(sink);
      client.on('event', () => {
        throw new Error('listener bug');
      });
      client.sendOdpEvent('a', { vuid: 'v' });
      expect((await client.close()).sent).toBe(1);
      expect(logger.errors()).toContain('odpkit: an "event" listener threw');
    } finally {
      await sink.close();
    }
  });
});
