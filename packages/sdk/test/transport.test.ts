import { createFetchTransport, createOdpClient, type Transport, type TransportRequest } from '@odpkit/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { type Sink, startSink } from './helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(() => sink.close());

describe('transports', () => {
  it('the fetch transport delivers the same wire format (what browsers and edge runtimes use)', async () => {
    const { client } = clientFor(sink, { transport: createFetchTransport() });
    const before = sink.requests.length;
    client.sendOdpEvent('a', { vuid: 'v' }, undefined, { k: 1 });
    expect((await client.close()).sent).toBe(1);
    const req = sink.requests[before]!;
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-api-key']).toBe('pk_test_key');
    expect(JSON.parse(req.body)[0]).toMatchObject({ action: 'a', identifiers: { vuid: 'v' }, data: { k: 1 } });
  });

  it('an injected transport is the only way out, and a rejected promise counts as a retryable network error', async () => {
    const seen: TransportRequest[] = [];
    let calls = 0;
    const transport: Transport = {
      async request(req) {
        seen.push(req);
        calls++;
        if (calls === 1) throw new Error('offline');
        return { status: 202, headers: {}, body: '' };
      },
    };
    const client = createOdpClient({
      odp: { apiKey: 'k', apiHost: 'https://odp.example.com/' },
      transport,
      retryBaseDelay: 1,
      logLevel: 'silent',
    });
    client.sendOdpEvent('a', { vuid: 'v' });
    const summary = await client.close();
    expect(summary.sent).toBe(1);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: 'https://odp.example.com/v3/events',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      timeout: 10_000,
    });
  });
});
