import { createOdpClient, odpConfigFromDatafile } from '@odpkit/sdk';
import { createUserContext, fetchQualifiedSegments } from '@odpkit/sdk/segments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { fixtureDatafile } from './helpers/paths.js';
import { type Sink, startSink } from './helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(() => sink.close());

const odp = { apiKey: 'k', apiHost: 'http://h' };

describe('unknown option names', () => {
  it.each([
    [{ odp, batchsize: 5 }, 'odpkit: unknown option batchsize; did you mean batchSize?'],
    [{ odp, flushIntervall: 5 }, 'odpkit: unknown option flushIntervall; did you mean flushInterval?'],
    [{ odp, maxRetry: 5 }, 'odpkit: unknown option maxRetry; did you mean maxRetries?'],
    [
      { odp: { ...odp, segmentToCheck: [] } },
      'odpkit: unknown option odp.segmentToCheck; did you mean odp.segmentsToCheck?',
    ],
    [{ odp: { apiKey: 'k', apihost: 'http://h' } }, 'odpkit: unknown option odp.apihost; did you mean odp.apiHost?'],
  ])('%j is an error naming it and the nearest known name', (options, message) => {
    expect(() => createOdpClient(options as never)).toThrow(message);
  });

  it('a name like no option lists the known ones', () => {
    expect(() => createOdpClient({ odp, colour: 'blue' } as never)).toThrow(
      /^odpkit: unknown option colour \(known: datafile, datafileUrl, .*, transport, vuid\)$/,
    );
  });
});

describe('URL schemes are case-insensitive', () => {
  it('an upper-case HTTP:// apiHost is accepted and events reach the server', async () => {
    const host = sink.url.replace('http://', 'HTTP://');
    const { client } = clientFor(sink, { odp: { apiKey: 'k', apiHost: `${host}/` } });
    expect(client.config).toMatchObject({ state: 'integrated', apiHost: sink.url });
    const before = sink.events.length;
    client.sendOdpEvent('a', { fs_user_id: 'u' });
    expect(await client.close()).toMatchObject({ sent: 1, failed: 0 });
    expect(sink.events.length).toBe(before + 1);
  });

  it('an HTTPS:// apiHost reaches the transport as https:// (node:http only knows the lower-case scheme)', async () => {
    const urls: string[] = [];
    const transport = {
      request: async (req: { url: string }) => {
        urls.push(req.url);
        return { status: 202, headers: {}, body: '' };
      },
    };
    const client = createOdpClient({ odp: { apiKey: 'k', apiHost: 'HTTPS://odp.example.com' }, transport });
    client.sendOdpEvent('a', { fs_user_id: 'u' });
    expect(await client.close()).toMatchObject({ sent: 1 });
    expect(urls).toEqual(['https://odp.example.com/v3/events']);
  });

  it('HTTPS:// in a datafile host or a datafileUrl is normalised to https://', () => {
    const df = fixtureDatafile('odp-integrated.json', 'HTTPS://Example.COM/odp/');
    expect(odpConfigFromDatafile(df)).toMatchObject({ state: 'integrated', apiHost: 'https://Example.COM/odp' });
    const client = createOdpClient({ datafileUrl: 'HtTpS://cdn.example.com/df.json', logLevel: 'silent' });
    void client.close({ timeout: 0 });
  });
});

describe('client.config', () => {
  it('is a frozen copy: changing it changes nothing in the client', async () => {
    const { client } = clientFor(sink, { odp: { apiKey: 'k', apiHost: sink.url, segmentsToCheck: ['s1'] } });
    const config = client.config;
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { apiKey: string }).apiKey = 'stolen';
    }).toThrow(TypeError);
    if (config.state !== 'integrated') throw new Error('expected integrated');
    expect(() => (config.segmentsToCheck as string[]).push('s2')).toThrow(TypeError);
    const before = sink.requests.length;
    client.sendOdpEvent('a', { fs_user_id: 'u' });
    await client.close();
    expect(sink.requests[before]!.headers['x-api-key']).toBe('k');
  });
});

describe('no segments to check', () => {
  it('fetching segments warns once that there are none to check', async () => {
    const { client, logger } = clientFor(sink, { odp: { apiKey: 'k', apiHost: sink.url } });
    const user = createUserContext(client, 'u1');
    expect(await user.fetchQualifiedSegments()).toBe(true);
    expect(await fetchQualifiedSegments(client, 'u2')).toMatchObject({ ok: true, segments: [] });
    expect(user.isQualifiedFor('anything')).toBe(false);
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toEqual([
      'odpkit: fetchQualifiedSegments: there are no segments to check (odp.segmentsToCheck is empty, or the datafile has no audience with a "qualified" condition), so every user qualifies for none and isQualifiedFor() is always false; no request is made. (Logged once per configuration.)',
    ]);
    await client.close();
  });

  it('the datafile without segments warns the same way', async () => {
    const { client, logger } = clientFor(sink, {
      odp: undefined,
      datafile: fixtureDatafile('odp-no-segments.json', sink.url),
    });
    await fetchQualifiedSegments(client, 'u1');
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    await client.close();
  });
});
