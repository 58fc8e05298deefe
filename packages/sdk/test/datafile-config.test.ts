import { createOdpClient, OdpConfigError, odpConfigFromDatafile } from '@odpkit/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOdpClient as createBrowserClient } from '../src/index.browser.js';
import { clientFor } from './helpers/client.js';
import { fixtureDatafile } from './helpers/paths.js';
import { type Sink, startSink } from './helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(() => sink.close());

describe('configuration from the datafile fixtures', () => {
  it('odp-integrated.json: integrated, fixture key, segments in first-seen order; events reach the host', async () => {
    expect(odpConfigFromDatafile(fixtureDatafile('odp-integrated.json'))).toEqual({
      state: 'integrated',
      apiKey: 'pk_fixture_public_key',
      apiHost: 'http://127.0.0.1:8080',
      segmentsToCheck: ['has_purchased', 'big_spender', 'newsletter_reader'],
    });
    const before = sink.requests.length;
    const { client } = clientFor(sink, { odp: undefined, datafile: fixtureDatafile('odp-integrated.json', sink.url) });
    expect(client.config).toMatchObject({ state: 'integrated', apiHost: sink.url });
    client.sendOdpEvent('a', { vuid: 'v' });
    expect((await client.close()).sent).toBe(1);
    expect(sink.requests[before]!.headers['x-api-key']).toBe('pk_fixture_public_key');
  });

  it('accepts the datafile as a JSON string too', async () => {
    const { client } = clientFor(sink, {
      odp: undefined,
      datafile: JSON.stringify(fixtureDatafile('odp-integrated.json', sink.url)),
    });
    expect(client.config.state).toBe('integrated');
    await client.close();
  });

  it('odp-no-segments.json: integrated with no segments to check', () => {
    expect(odpConfigFromDatafile(fixtureDatafile('odp-no-segments.json'))).toEqual({
      state: 'integrated',
      apiKey: 'pk_fixture_public_key',
      apiHost: 'http://127.0.0.1:8080',
      segmentsToCheck: [],
    });
  });

  it.each([
    ['odp-not-integrated.json', 'ODP is not integrated: the datafile has no "odp" integration'],
    ['odp-incomplete-integration.json', 'ODP is not integrated: the datafile\'s "odp" integration has no publicKey'],
  ])('%s: not integrated, events refused with a clear reason', async (file, reason) => {
    const before = sink.requests.length;
    const { client, outcomes, logger } = clientFor(sink, { odp: undefined, datafile: fixtureDatafile(file, sink.url) });
    expect(client.config).toEqual({ state: 'not_integrated', reason });
    client.sendOdpEvent('a', { vuid: 'v' });
    client.sendOdpEvent('b', { vuid: 'v' });
    const summary = await client.close();
    expect(summary).toMatchObject({ sent: 0, rejected: 2, reasons: { [reason]: 2 } });
    expect(outcomes.map((o) => [o.status, o.code])).toEqual([
      ['rejected', 'not_integrated'],
      ['rejected', 'not_integrated'],
    ]);
    // One error for the condition, not one per event.
    expect(logger.errors()).toEqual([`odpkit: event rejected: ${reason} (logged once; every such event is reported)`]);
    expect(sink.requests.length).toBe(before);
  });

  it('invalid-integration-without-key.json: the datafile is rejected with a clear error', () => {
    expect(() => createOdpClient({ datafile: fixtureDatafile('invalid-integration-without-key.json') })).toThrow(
      new OdpConfigError(
        'odpkit: invalid datafile: Integration key missing from datafile: integrations[0] has no "key"; all integrations must include a key',
      ),
    );
  });

  it.each([
    ['not json {', /^odpkit: invalid datafile: datafile is not valid JSON \(/],
    ['[1,2]', /^odpkit: invalid datafile: datafile must be a JSON object$/],
    ['{"integrations":{}}', /^odpkit: invalid datafile: datafile integrations must be an array$/],
  ])('rejects datafile %j', (datafile, message) => {
    expect(() => createOdpClient({ datafile })).toThrow(message);
  });

  it('reads string-encoded legacy audience conditions and lets a typed audience win on an id clash', () => {
    const cond = (v: string) => [
      'or',
      { type: 'third_party_dimension', name: 'odp.audiences', match: 'qualified', value: v },
    ];
    const config = odpConfigFromDatafile({
      integrations: [{ key: 'odp', host: 'http://h/', publicKey: 'k' }],
      typedAudiences: [{ id: '1', conditions: cond('typed') }],
      audiences: [
        { id: '1', conditions: JSON.stringify(cond('shadowed')) },
        { id: '2', conditions: JSON.stringify(['and', cond('legacy'), cond('typed')]) },
      ],
    });
    expect(config).toEqual({
      state: 'integrated',
      apiKey: 'k',
      apiHost: 'http://h',
      segmentsToCheck: ['typed', 'legacy'],
    });
  });
});

describe('options', () => {
  it.each([
    [{}, 'odpkit: give exactly one configuration source of datafile, datafileUrl or odp (got none)'],
    [
      { datafile: {}, odp: { apiKey: 'k', apiHost: 'http://h' } },
      'odpkit: give exactly one configuration source of datafile, datafileUrl or odp (got datafile, odp)',
    ],
    [{ odp: { apiKey: '', apiHost: 'http://h' } }, 'odpkit: odp.apiKey must be a non-empty string'],
    [{ odp: { apiKey: 'k', apiHost: 'h' } }, 'odpkit: odp.apiHost must be an http(s) URL (got "h")'],
    [{ datafileUrl: 'ftp://x' }, 'odpkit: datafileUrl must be an http(s) URL (got "ftp://x")'],
    [
      { odp: { apiKey: 'k', apiHost: 'http://h' }, batchSize: 0 },
      'odpkit: option batchSize must be a finite number between 1 and 1000 (got 0)',
    ],
    [
      { odp: { apiKey: 'k', apiHost: 'http://h' }, maxInFlight: 1.5 },
      'odpkit: option maxInFlight must be an integer (got 1.5)',
    ],
  ])('rejects %j', (options, message) => {
    expect(() => createOdpClient(options as never)).toThrow(message);
  });
});

// The browser entry leaves the datafile code out of pages: there the datafile goes through odpConfigFromDatafile,
// which every entry's `odp` option takes as it is.
describe('odp: odpConfigFromDatafile(datafile), the way that works on every entry', () => {
  it.each([
    ['the default entry', createOdpClient],
    ['the browser entry', createBrowserClient],
  ])('%s: integrated, events reach the datafile host with its key', async (_entry, create) => {
    const before = sink.requests.length;
    const client = create({ odp: odpConfigFromDatafile(fixtureDatafile('odp-integrated.json', sink.url)) });
    expect(client.config).toMatchObject({
      state: 'integrated',
      apiHost: sink.url,
      segmentsToCheck: ['has_purchased', 'big_spender', 'newsletter_reader'],
    });
    client.sendOdpEvent('a', { vuid: 'v' });
    expect((await client.close()).sent).toBe(1);
    expect(sink.requests[before]!.headers['x-api-key']).toBe('pk_fixture_public_key');
  });

  it('not integrated: events are refused with the datafile reason', async () => {
    const reason = 'ODP is not integrated: the datafile has no "odp" integration';
    const client = createBrowserClient({
      odp: odpConfigFromDatafile(fixtureDatafile('odp-not-integrated.json', sink.url)),
      logLevel: 'silent',
    });
    expect(client.config).toEqual({ state: 'not_integrated', reason });
    client.sendOdpEvent('a', { vuid: 'v' });
    expect(await client.close()).toMatchObject({ sent: 0, rejected: 1, reasons: { [reason]: 1 } });
  });

  it.each([
    [{ datafile: {} }, 'datafile'],
    [{ datafileUrl: 'https://cdn.example/df.json' }, 'datafileUrl'],
  ])('the browser entry refuses %j, naming the way that works', (options, name) => {
    expect(() => createBrowserClient(options)).toThrow(OdpConfigError);
    expect(() => createBrowserClient(options)).toThrow(
      `odpkit: the browser entry has no ${name} option (it keeps the datafile code out of pages); pass odp: odpConfigFromDatafile(datafile) instead`,
    );
  });

  it('an odp.state other than the helper returns is an error', () => {
    expect(() => createOdpClient({ odp: { apiKey: 'k', apiHost: 'http://h', state: 'pending' } as never })).toThrow(
      'odpkit: odp.state must be "integrated" or absent (got "pending")',
    );
  });
});
