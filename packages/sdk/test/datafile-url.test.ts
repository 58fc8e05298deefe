import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { fixtureDatafile } from './helpers/paths.js';
import { type Sink, startSink } from './helpers/sink.js';

const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

/** A server whose GET /datafile.json is answered by `serve`; POSTs to /v3/events are recorded as usual. */
async function datafileServer(serve: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) {
  const datafileRequests: IncomingMessage[] = [];
  const sink = await startSink({
    route: async (req, res) => {
      if (req.url !== '/datafile.json') return false;
      datafileRequests.push(req);
      await serve(req, res);
      return true;
    },
  });
  sinks.push(sink);
  return { sink, datafileRequests, datafileUrl: `${sink.url}/datafile.json` };
}

function withKey(host: string, key: string) {
  const df = fixtureDatafile('odp-integrated.json', host);
  (df.integrations as Array<Record<string, unknown>>)[0]!.publicKey = key;
  return JSON.stringify(df);
}

describe('datafile URL', () => {
  it('holds events while the datafile is slow, then delivers them once it says integrated', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { sink, datafileUrl } = await datafileServer(async (_req, res) => {
      await gate;
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(withKey(sink.url, 'pk_late'));
    });
    const { client } = clientFor(sink, { odp: undefined, datafileUrl });
    for (let i = 0; i < 5; i++) client.sendOdpEvent('a', { vuid: `v${i}` });
    expect(client.config.state).toBe('pending');
    expect(sink.requests).toHaveLength(0);
    release();
    await sink.waitForEvents(5);
    expect(sink.requests.every((r) => r.headers['x-api-key'] === 'pk_late')).toBe(true);
    expect(await client.close()).toMatchObject({ sent: 5, failed: 0, dropped: 0 });
  });

  it('polls with If-None-Match and keeps the configuration on 304', async () => {
    const { sink, datafileRequests, datafileUrl } = await datafileServer((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
      else res.writeHead(200, { etag: '"v1"' }).end(withKey(sink.url, 'pk'));
    });
    const { client } = clientFor(sink, { odp: undefined, datafileUrl, datafilePollInterval: 10 });
    while (datafileRequests.length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(datafileRequests[0]!.headers['if-none-match']).toBeUndefined();
    expect(datafileRequests[1]!.headers['if-none-match']).toBe('"v1"');
    expect(client.config).toMatchObject({ state: 'integrated', apiKey: 'pk' });
    await client.close();
  });

  it('not integrated: held events fail with the reason, later events are refused', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { sink, datafileUrl } = await datafileServer(async (_req, res) => {
      await gate;
      res.writeHead(200).end(JSON.stringify(fixtureDatafile('odp-not-integrated.json')));
    });
    const { client, outcomes } = clientFor(sink, { odp: undefined, datafileUrl });
    client.sendOdpEvent('held', { vuid: 'v' });
    release();
    while (client.config.state === 'pending') await new Promise((r) => setTimeout(r, 5));
    client.sendOdpEvent('late', { vuid: 'v' });
    const reason = 'ODP is not integrated: the datafile has no "odp" integration';
    expect(outcomes.map((o) => [o.status, o.code, o.reason])).toEqual([
      ['failed', 'not_integrated', reason],
      ['rejected', 'not_integrated', reason],
    ]);
    expect(await client.close()).toMatchObject({ sent: 0, failed: 1, rejected: 1, reasons: { [reason]: 2 } });
    expect(sink.requests).toHaveLength(0);
  });

  it('an invalid datafile before any valid one: events are refused with the parse error', async () => {
    const { sink, datafileUrl } = await datafileServer((_req, res) => {
      res.writeHead(200).end('{"integrations":[{"host":"http://x"}]}');
    });
    const { client, outcomes, logger } = clientFor(sink, { odp: undefined, datafileUrl });
    while (client.config.state === 'pending') await new Promise((r) => setTimeout(r, 5));
    client.sendOdpEvent('a', { vuid: 'v' });
    expect(outcomes[0]).toMatchObject({ status: 'rejected', code: 'not_integrated' });
    expect(outcomes[0]!.reason).toContain('is invalid: Integration key missing from datafile');
    expect(logger.errors()[0]).toContain('Integration key missing from datafile');
    await client.close();
  });

  it('config change: queued events go to the old host with the old key, new ones to the new host', async () => {
    const oldSink = await startSink();
    const newSink = await startSink();
    sinks.push(oldSink, newSink);
    let version = 1;
    const { sink, datafileUrl } = await datafileServer((_req, res) => {
      const body = version === 1 ? withKey(oldSink.url, 'pk_old') : withKey(newSink.url, 'pk_new');
      res.writeHead(200, { etag: `"v${version}"` }).end(body);
    });
    // A batch that would never fill on its own: only the config change can send the first three events.
    const { client } = clientFor(sink, {
      odp: undefined,
      datafileUrl,
      datafilePollInterval: 10,
      batchSize: 100,
      flushInterval: 600_000,
    });
    while (client.config.state === 'pending') await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 3; i++) client.sendOdpEvent('old', { vuid: `o${i}` });
    version = 2;
    await oldSink.waitForEvents(3);
    expect(client.config).toMatchObject({ state: 'integrated', apiHost: newSink.url, apiKey: 'pk_new' });
    for (let i = 0; i < 2; i++) client.sendOdpEvent('new', { vuid: `n${i}` });
    expect(await client.close()).toMatchObject({ sent: 5 });
    expect(oldSink.events.map((e) => e.action)).toEqual(['old', 'old', 'old']);
    expect(oldSink.requests.every((r) => r.headers['x-api-key'] === 'pk_old')).toBe(true);
    expect(newSink.events.map((e) => e.action)).toEqual(['new', 'new']);
    expect(newSink.requests.every((r) => r.headers['x-api-key'] === 'pk_new')).toBe(true);
  });

  it('flush() with the datafile unreachable fails held events with the fetch error instead of waiting forever', async () => {
    const { sink } = await datafileServer(() => {});
    const { client, outcomes } = clientFor(sink, { odp: undefined, datafileUrl: 'http://127.0.0.1:9/datafile.json' });
    client.sendOdpEvent('a', { vuid: 'v' });
    const summary = await client.flush();
    expect(summary.failed).toBe(1);
    expect(outcomes[0]).toMatchObject({ status: 'failed', code: 'config_unavailable' });
    expect(outcomes[0]!.reason).toMatch(
      /^ODP configuration unavailable \(flush\(\) could not wait any longer\): fetching the datafile from http:\/\/127\.0\.0\.1:9\/datafile\.json failed \(.*ECONNREFUSED/,
    );
    await client.close();
  });
});
