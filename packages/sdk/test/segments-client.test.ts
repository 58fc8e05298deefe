import type { IncomingMessage, ServerResponse } from 'node:http';
import { createOdpClient } from '@odpkit/sdk';
import { createUserContext, fetchQualifiedSegments } from '@odpkit/sdk/segments';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger } from './helpers/logs.js';
import { fixtureDatafile } from './helpers/paths.js';
import { type RecordedRequest, type Reply, type Responder, type Sink, startSink } from './helpers/sink.js';

const QUERY = (key: string) =>
  `query($userId: String, $audiences: [String]) {customer(${key}: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}`;

/** A GraphQL answer in the hosted ODP's shape: the requested subset, each qualified or not. */
function answer(qualified: string[]): Responder {
  return (req) => {
    const { variables } = JSON.parse(req.body) as { variables: { audiences: string[] } };
    const edges = variables.audiences.map((name) => ({
      node: { name, state: qualified.includes(name) ? 'qualified' : 'not_qualified' },
    }));
    return json(200, { data: { customer: { audiences: { edges } } } });
  };
}

function json(status: number, body: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

const graphqlRequests = (sink: Sink): RecordedRequest[] => sink.requests.filter((r) => r.url === '/v3/graphql');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(respond: Responder, options: Record<string, unknown> = {}) {
  const sink = await startSink({ respond });
  const logger = recordingLogger();
  const client = createOdpClient({
    datafile: fixtureDatafile('odp-integrated.json', sink.url),
    logger,
    logLevel: 'debug',
    ...options,
  });
  cleanups.push(
    () => client.close(),
    () => sink.close(),
  );
  return { sink, client, logger };
}

describe('fetchQualifiedSegments: the request', () => {
  it('posts the variables form to {host}/v3/graphql with the key and the datafile segments in order', async () => {
    const { sink, client } = await setup(answer(['big_spender']));
    const result = await fetchQualifiedSegments(client, 'user-1');
    expect(result).toEqual({ ok: true, segments: ['big_spender'], fromCache: false });
    const [req] = graphqlRequests(sink);
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['x-api-key']).toBe('pk_fixture_public_key');
    expect(JSON.parse(req!.body)).toEqual({
      query: QUERY('fs_user_id'),
      variables: { userId: 'user-1', audiences: ['has_purchased', 'big_spender', 'newsletter_reader'] },
    });
  });

  it('asks a vuid_ id by vuid, and any identifier given as { key, value }', async () => {
    const { sink, client } = await setup(answer([]));
    await fetchQualifiedSegments(client, 'vuid_0e46d6e7b306407c8d33c9beffe');
    await fetchQualifiedSegments(client, { key: 'email', value: 'a@example.com' });
    const [byVuid, byEmail] = graphqlRequests(sink).map((r) => JSON.parse(r.body));
    expect(byVuid.query).toBe(QUERY('vuid'));
    expect(byVuid.variables.userId).toBe('vuid_0e46d6e7b306407c8d33c9beffe');
    expect(byEmail.query).toBe(QUERY('email'));
    expect(byEmail.variables.userId).toBe('a@example.com');
  });

  it('an id with quotes, backslashes and newlines travels intact as a variable', async () => {
    const { sink, client } = await setup(answer(['has_purchased']));
    const id = 'a"b\\c\n") {x} #';
    expect(await fetchQualifiedSegments(client, id)).toMatchObject({ ok: true, segments: ['has_purchased'] });
    expect(JSON.parse(graphqlRequests(sink)[0]!.body).variables.userId).toBe(id);
  });

  it('no segments to check: answers [] without any request', async () => {
    const sink = await startSink();
    const client = createOdpClient({ datafile: fixtureDatafile('odp-no-segments.json', sink.url), logLevel: 'silent' });
    cleanups.push(
      () => client.close(),
      () => sink.close(),
    );
    expect(await fetchQualifiedSegments(client, 'user-1')).toEqual({ ok: true, segments: [], fromCache: false });
    expect(sink.requests).toHaveLength(0);
  });

  it('a key that cannot be a GraphQL argument is refused before any request', async () => {
    const { sink, client } = await setup(answer([]));
    const r = await fetchQualifiedSegments(client, { key: 'bad key){', value: 'x' });
    expect(r).toMatchObject({ ok: false, reason: 'invalid_user_key' });
    expect(graphqlRequests(sink)).toHaveLength(0);
  });
});

describe('fetchQualifiedSegments: the cache', () => {
  it('caches per user: a second fetch is a hit, another user is a miss', async () => {
    const { sink, client } = await setup(answer(['has_purchased']));
    expect((await fetchQualifiedSegments(client, 'u1')).ok).toBe(true);
    expect(await fetchQualifiedSegments(client, 'u1')).toEqual({
      ok: true,
      segments: ['has_purchased'],
      fromCache: true,
    });
    await fetchQualifiedSegments(client, 'u2');
    expect(graphqlRequests(sink)).toHaveLength(2);
  });

  it('an empty answer is cached too', async () => {
    const { sink, client } = await setup(answer([]));
    await fetchQualifiedSegments(client, 'nobody-special');
    expect(await fetchQualifiedSegments(client, 'nobody-special')).toEqual({ ok: true, segments: [], fromCache: true });
    expect(graphqlRequests(sink)).toHaveLength(1);
  });

  it('IGNORE_CACHE neither reads nor writes the cache', async () => {
    let qualified = ['has_purchased'];
    const { sink, client } = await setup((req, i) => answer(qualified)(req, i));
    await fetchQualifiedSegments(client, 'u1'); // cached: has_purchased
    qualified = ['big_spender'];
    expect(await fetchQualifiedSegments(client, 'u1', ['IGNORE_CACHE'])).toMatchObject({ segments: ['big_spender'] });
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ segments: ['has_purchased'], fromCache: true });
    await fetchQualifiedSegments(client, 'u3', ['IGNORE_CACHE']);
    await fetchQualifiedSegments(client, 'u3');
    expect(graphqlRequests(sink)).toHaveLength(4);
  });

  it('RESET_CACHE empties the whole cache, then fetches and saves', async () => {
    const { sink, client } = await setup(answer(['has_purchased']));
    await fetchQualifiedSegments(client, 'u1');
    await fetchQualifiedSegments(client, 'u2');
    expect(await fetchQualifiedSegments(client, 'u1', ['RESET_CACHE'])).toMatchObject({ fromCache: false });
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ fromCache: true });
    expect(await fetchQualifiedSegments(client, 'u2')).toMatchObject({ fromCache: false });
    expect(graphqlRequests(sink)).toHaveLength(4);
  });

  it('entries expire after segmentsCacheTimeout, and size 0 disables the cache', async () => {
    const { sink, client } = await setup(answer([]), { segmentsCacheTimeout: 30 });
    await fetchQualifiedSegments(client, 'u1');
    await new Promise((r) => setTimeout(r, 60));
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ fromCache: false });
    const off = await setup(answer([]), { segmentsCacheSize: 0 });
    await fetchQualifiedSegments(off.client, 'u1');
    await fetchQualifiedSegments(off.client, 'u1');
    expect(graphqlRequests(sink)).toHaveLength(2);
    expect(graphqlRequests(off.sink)).toHaveLength(2);
  });

  it('a configuration change resets the cache', async () => {
    let version = 1;
    const datafiles: Record<number, Record<string, unknown>> = {};
    const sink = await startSink({
      respond: answer(['has_purchased']),
      route: (req: IncomingMessage, res: ServerResponse) => {
        if (req.url !== '/datafile.json') return false;
        res.writeHead(200, { 'content-type': 'application/json', etag: `"v${version}"` });
        res.end(JSON.stringify(datafiles[version]));
        return true;
      },
    });
    datafiles[1] = fixtureDatafile('odp-integrated.json', sink.url);
    const v2 = fixtureDatafile('odp-integrated.json', sink.url) as { integrations: Array<Record<string, unknown>> };
    v2.integrations[0]!.publicKey = 'pk_rotated';
    datafiles[2] = v2;
    const client = createOdpClient({
      datafileUrl: `${sink.url}/datafile.json`,
      datafilePollInterval: 20,
      logLevel: 'silent',
    });
    cleanups.push(
      () => client.close(),
      () => sink.close(),
    );
    await fetchQualifiedSegments(client, 'u1');
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ fromCache: true });
    version = 2;
    while (client.config.state !== 'integrated' || client.config.apiKey !== 'pk_rotated') {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ fromCache: false });
    expect(graphqlRequests(sink).at(-1)!.headers['x-api-key']).toBe('pk_rotated');
  });
});

describe('fetchQualifiedSegments: every failure has its reason', () => {
  const failure = (reply: Reply | 'hang' | 'destroy') => () => reply;

  it.each([
    ['http_status', failure(json(500, { message: 'down' })), { status: 500 }],
    ['http_status', failure(json(403, { message: 'no' })), { status: 403 }],
    ['decode', failure({ status: 200, body: 'not json' }), {}],
    ['decode', failure(json(200, { data: { customer: null } })), {}],
    [
      'invalid_identifier',
      failure(
        json(200, {
          errors: [
            {
              message: 'could not resolve _fs_user_id = u1',
              locations: [{ line: 1, column: 60 }],
              path: ['customer'],
              extensions: { classification: 'DataFetchingException', code: 'INVALID_IDENTIFIER_EXCEPTION' },
            },
          ],
          data: { customer: null },
        }),
      ),
      {},
    ],
    [
      'server_error',
      failure(
        json(200, { errors: [{ message: 'x', locations: [], extensions: { classification: 'TestExceptionClass' } }] }),
      ),
      { classification: 'TestExceptionClass' },
    ],
    ['network', failure('destroy'), {}],
    ['network', failure('hang'), {}],
  ] as const)('%s', async (reason, respond, extra) => {
    const { client, logger } = await setup(respond, { segmentsRequestTimeout: 200 });
    const r = await fetchQualifiedSegments(client, 'u1');
    expect(r).toMatchObject({ ok: false, reason, ...extra });
    const level = reason === 'invalid_identifier' ? 'warn' : 'error';
    expect(logger.lines.filter((l) => l.level === level).map((l) => l.message)).toContainEqual(
      expect.stringContaining(`segments fetch failed for fs_user_id=u1 (${reason})`),
    );
    // A failure is never cached: the next fetch asks again.
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ ok: false, reason });
  });

  it('connection refused is a network failure', async () => {
    const sink = await startSink();
    const url = sink.url;
    await sink.close();
    const client = createOdpClient({ datafile: fixtureDatafile('odp-integrated.json', url), logLevel: 'silent' });
    cleanups.push(() => client.close());
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ ok: false, reason: 'network' });
  });

  it('not integrated, and an incomplete integration, are refused with the reason', async () => {
    for (const name of ['odp-not-integrated.json', 'odp-incomplete-integration.json']) {
      const client = createOdpClient({ datafile: fixtureDatafile(name), logLevel: 'silent' });
      cleanups.push(() => client.close());
      expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ ok: false, reason: 'not_integrated' });
    }
  });

  it('a datafile URL that never answers gives config_pending after the request timeout', async () => {
    const sink = await startSink({ route: (req) => req.url === '/datafile.json' });
    const client = createOdpClient({
      datafileUrl: `${sink.url}/datafile.json`,
      requestTimeout: 100,
      logLevel: 'silent',
    });
    cleanups.push(
      () => client.close(),
      () => sink.close(),
    );
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ ok: false, reason: 'config_pending' });
  });

  it('after close(): closed', async () => {
    const { client } = await setup(answer([]));
    await client.close();
    expect(await fetchQualifiedSegments(client, 'u1')).toMatchObject({ ok: false, reason: 'closed' });
  });

  it('a bad user argument is a failure, not a throw', async () => {
    const { client } = await setup(answer([]));
    // @ts-expect-error: checking what plain JavaScript callers may pass
    expect(await fetchQualifiedSegments(client, 42)).toMatchObject({ ok: false, reason: 'invalid_user_key' });
    expect(await fetchQualifiedSegments(client, '')).toMatchObject({ ok: false, reason: 'invalid_user_key' });
  });
});

describe('createUserContext', () => {
  it('fetches once, then answers isQualifiedFor from what it fetched', async () => {
    const { client } = await setup(answer(['has_purchased', 'newsletter_reader']));
    const user = createUserContext(client, 'user123', { plan: 'pro' });
    expect(user.qualifiedSegments).toBeNull();
    expect(user.isQualifiedFor('has_purchased')).toBe(false);
    expect(await user.fetchQualifiedSegments()).toBe(true);
    expect(user.qualifiedSegments).toEqual(['has_purchased', 'newsletter_reader']);
    expect(user.isQualifiedFor('has_purchased')).toBe(true);
    expect(user.isQualifiedFor('big_spender')).toBe(false);
    expect(user.attributes).toEqual({ plan: 'pro' });
    expect(user.lastSegmentsError).toBeNull();
  });

  it('a failed fetch resolves false, clears the segments and keeps the reason', async () => {
    let fail = false;
    const { client } = await setup((req, i) => (fail ? json(503, {}) : answer(['has_purchased'])(req, i)));
    const user = createUserContext(client, 'user123');
    await user.fetchQualifiedSegments();
    fail = true;
    expect(await user.fetchQualifiedSegments(['IGNORE_CACHE'])).toBe(false);
    expect(user.qualifiedSegments).toBeNull();
    expect(user.isQualifiedFor('has_purchased')).toBe(false);
    expect(user.lastSegmentsError).toMatchObject({ reason: 'http_status', status: 503 });
  });

  it('segments can be set by the application; a vuid_ user is asked by vuid', async () => {
    const { sink, client } = await setup(answer([]));
    const user = createUserContext(client, 'vuid_0e46d6e7b306407c8d33c9beffe');
    user.qualifiedSegments = ['manual'];
    expect(user.isQualifiedFor('manual')).toBe(true);
    expect(user.userKey).toBe('vuid');
    await user.fetchQualifiedSegments();
    expect(JSON.parse(graphqlRequests(sink)[0]!.body).query).toBe(QUERY('vuid'));
  });

  it('refuses an empty or non-string user id with a clear error', async () => {
    const { client } = await setup(answer([]));
    expect(() => createUserContext(client, '')).toThrow('createUserContext needs a non-empty string user id');
    // No user id falls back to the visitor id, which a client without the vuid option does not have.
    expect(() => createUserContext(client)).toThrow('the client has no visitor id');
  });
});
