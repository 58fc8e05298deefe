import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../src/event/retry-policy.js';
import { clientFor } from './helpers/client.js';
import { ACCEPTED, type Reply, type Responder, startSink } from './helpers/sink.js';

/** Runs one scenario: a sink answering with `replies` in order (then 202), and a client sending `n` events. */
async function scenario(replies: Array<Reply | 'hang' | 'destroy'>, n = 1, options = {}) {
  const respond: Responder = (_req, i) => replies[i] ?? ACCEPTED;
  const sink = await startSink({ respond });
  const { client, outcomes, logger } = clientFor(sink, { batchSize: 10, ...options });
  for (let i = 0; i < n; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
  const summary = await client.close();
  await sink.close();
  const bodies = sink.requests.map((r) => JSON.parse(r.body) as Array<{ data: { idempotence_id: string } }>);
  return { sink, summary, outcomes, logger, bodies };
}

const retryable = (status: number, headers: Record<string, string> = {}): Reply => ({ status, headers, body: '' });

describe('retries', () => {
  it('500 then 202: delivered once, both attempts carry the same idempotence_id', async () => {
    const { summary, bodies, sink, outcomes } = await scenario([retryable(500)]);
    expect(summary).toMatchObject({ sent: 1, failed: 0 });
    expect(bodies).toHaveLength(2);
    expect(bodies[0]![0]!.data.idempotence_id).toBe(bodies[1]![0]!.data.idempotence_id);
    expect(sink.events).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: 'sent', httpStatus: 202, attempts: 2 });
  });

  it.each([408, 429, 502, 503])('%i is retried', async (status) => {
    const { summary, bodies } = await scenario([retryable(status)]);
    expect(summary.sent).toBe(1);
    expect(bodies).toHaveLength(2);
  });

  it('503 with Retry-After in seconds: waits what the server asked', async () => {
    const { summary, logger, bodies } = await scenario([retryable(503, { 'retry-after': '1' })], 1, {
      retryMaxDelay: 5000,
    });
    expect(summary.sent).toBe(1);
    expect(bodies).toHaveLength(2);
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message: expect.stringMatching(/: HTTP 503; retry 1 in 1000 ms$/),
    });
  });

  it('429 with a Retry-After beyond retryMaxDelay is capped', async () => {
    const { summary, logger } = await scenario([retryable(429, { 'retry-after': '3600' })], 1, { retryMaxDelay: 20 });
    expect(summary.sent).toBe(1);
    expect(logger.lines.some((l) => /HTTP 429; retry 1 in 20 ms$/.test(l.message))).toBe(true);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, within the cap', () => {
    expect(backoffDelay(1, 200, 10_000, () => 0)).toBe(100);
    expect(backoffDelay(1, 200, 10_000, () => 1)).toBe(200);
    expect(backoffDelay(3, 200, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 200, 10_000, () => 1)).toBe(10_000);
  });

  it('400 is not retried; the failure carries the server detail and is logged', async () => {
    const detail = { invalids: [{ event: 0, message: "missing 'type' field" }] };
    const body = JSON.stringify({ title: 'Bad Request', status: 400, timestamp: 't', detail });
    const { summary, outcomes, logger, bodies } = await scenario([{ status: 400, body }]);
    expect(bodies).toHaveLength(1);
    const reason = `HTTP 400: the server rejected this event: missing 'type' field`;
    expect(summary).toMatchObject({ sent: 0, failed: 1, reasons: { [reason]: 1 } });
    expect(outcomes[0]).toMatchObject({ status: 'failed', code: 'http_error', httpStatus: 400, reason, detail });
    expect(logger.errors().some((m) => m.includes(reason))).toBe(true);
  });

  it('400 naming one event of a batch: that one fails, the others are sent again and delivered', async () => {
    const detail = { invalids: [{ event: 1, message: 'bad event' }] };
    const { summary, bodies, sink, outcomes } = await scenario([{ status: 400, body: JSON.stringify({ detail }) }], 3);
    expect(summary).toMatchObject({ sent: 2, failed: 1 });
    expect(bodies.map((b) => b.length)).toEqual([3, 2]);
    expect(sink.events.map((e) => e.identifiers.vuid)).toEqual(['v0', 'v2']);
    expect(outcomes.find((o) => o.status === 'failed')!.event!.identifiers.vuid).toBe('v1');
  });

  it('other 4xx (401) fail the whole batch at once with the server detail', async () => {
    const { summary, outcomes, bodies } = await scenario([{ status: 401, body: '{"detail":"unknown api key"}' }], 2);
    expect(bodies).toHaveLength(1);
    expect(summary).toMatchObject({ failed: 2, reasons: { 'HTTP 401: unknown api key': 2 } });
    expect(outcomes[0]).toMatchObject({ code: 'http_error', detail: 'unknown api key' });
  });

  it('a {message} detail is reported by its text, the full detail kept on the outcome', async () => {
    const body = '{"title":"Unauthorized","status":401,"detail":{"message":"unknown public key"}}';
    const { summary, outcomes } = await scenario([{ status: 401, body }]);
    expect(summary.reasons).toEqual({ 'HTTP 401: unknown public key': 1 });
    expect(outcomes[0]!.detail).toEqual({ message: 'unknown public key' });
  });

  it('a dropped connection is retried', async () => {
    const { summary, bodies } = await scenario(['destroy']);
    expect(summary.sent).toBe(1);
    expect(bodies).toHaveLength(2);
  });

  it('connection refused: retried maxRetries times, then failed with the reason', async () => {
    const probe = http.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const sinkLike = { url: `http://127.0.0.1:${port}` } as never;
    const { client, outcomes } = clientFor(sinkLike, { maxRetries: 2 });
    client.sendOdpEvent('a', { vuid: 'v' });
    const summary = await client.close();
    expect(summary.failed).toBe(1);
    expect(outcomes[0]).toMatchObject({ status: 'failed', code: 'retries_exhausted', attempts: 3 });
    expect(outcomes[0]!.reason).toMatch(/^retries exhausted after 3 attempt\(s\); last: network error ECONNREFUSED/);
  });

  it('a server that never answers: each attempt times out, then the event fails', async () => {
    const { summary, outcomes, bodies } = await scenario(['hang', 'hang'], 1, { requestTimeout: 100, maxRetries: 1 });
    expect(bodies).toHaveLength(2);
    expect(summary.failed).toBe(1);
    expect(outcomes[0]!.reason).toBe('retries exhausted after 2 attempt(s); last: request timed out after 100 ms');
  });

  it('a timeout followed by success delivers the event', async () => {
    const { summary, bodies } = await scenario(['hang'], 1, { requestTimeout: 100 });
    expect(summary.sent).toBe(1);
    expect(bodies[0]![0]!.data.idempotence_id).toBe(bodies[1]![0]!.data.idempotence_id);
  });

  it('retries exhausted on 5xx: failed with the last status', async () => {
    const { summary, outcomes, bodies } = await scenario([retryable(500), retryable(500)], 1, { maxRetries: 1 });
    expect(bodies).toHaveLength(2);
    expect(summary.failed).toBe(1);
    expect(outcomes[0]).toMatchObject({
      code: 'retries_exhausted',
      httpStatus: 500,
      reason: 'retries exhausted after 2 attempt(s); last: HTTP 500',
    });
  });
});
