import { createOdpClient } from '@odpkit/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type Served, serve } from './helpers.js';

describe('odpkit serve / send / customer, end to end', () => {
  let server: Served;

  beforeAll(async () => {
    server = await serve(['--public-key', 'pk_cli_test', '--private-key', 'sk_cli_test']);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serve prints its URL and the keys it was given', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.publicKey).toBe('pk_cli_test');
    expect(server.privateKey).toBe('sk_cli_test');
  });

  it('send delivers an event that customer then shows, stitched by any identifier', async () => {
    const sent = await run([
      'send',
      'purchased',
      '--id',
      'fs_user_id=cli-user-1',
      '--id',
      'email=Cli.User@Example.com',
      '--data',
      'price=50',
      '--data-string',
      'sku=00042',
      '--host',
      server.url,
      '--api-key',
      server.publicKey,
    ]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^accepted: purchased \(idempotence_id [0-9a-f-]{36}\)/);

    const shown = await run(['customer', 'email=cli.user@example.com', '--host', server.url, '--json'], {
      ODPKIT_PRIVATE_KEY: server.privateKey,
    });
    expect(shown.code).toBe(0);
    const profile = JSON.parse(shown.stdout);
    expect(profile.identifiers.fs_user_id).toEqual(['cli-user-1']);
    expect(profile.event_count).toBe(1);
    expect(profile.recent_events[0].action).toBe('purchased');
    expect(profile.recent_events[0].data.price).toBe(50);
    expect(profile.recent_events[0].data.sku).toBe('00042');

    const human = await run(['customer', 'fs_user_id=cli-user-1', '--host', server.url], {
      ODPKIT_PRIVATE_KEY: server.privateKey,
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('fs_user_id: cli-user-1');
    expect(human.stdout).toContain('events: 1');
  });

  it('send exits 1 with the reason when the key is wrong', async () => {
    const r = await run(['send', 'x', '--id', 'fs_user_id=u', '--host', server.url, '--api-key', 'wrong']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not accepted \(failed\).*401/s);
  });

  it('send exits 1 naming the field when the event is invalid', async () => {
    const r = await run(['send', 'x', '--id', 'fs_user_id=', '--host', server.url, '--api-key', server.publicKey]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not accepted \(rejected\).*identifier/s);
  });

  it('send exits 1 when nothing listens at the host', async () => {
    const r = await run([
      'send',
      'x',
      '--id',
      'fs_user_id=u',
      '--host',
      'http://127.0.0.1:9',
      '--api-key',
      'k',
      '--timeout',
      '2000',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not accepted \(failed\)/);
  }, 60_000);

  it('usage mistakes exit 2 with a message', async () => {
    const noKey = await run(['send', 'x', '--id', 'fs_user_id=u', '--host', server.url]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('an API key is needed');
    const noId = await run(['send', 'x', '--host', server.url, '--api-key', 'k']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('at least one --id');
    const badPair = await run(['customer', 'email', '--host', server.url, '--private-key', 'k']);
    expect(badPair.code).toBe(2);
  });

  it('customer: unknown customer and wrong private key exit 1', async () => {
    const unknown = await run([
      'customer',
      'email=nobody@example.com',
      '--host',
      server.url,
      '--private-key',
      server.privateKey,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^404/);
    const wrongKey = await run([
      'customer',
      'email=cli.user@example.com',
      '--host',
      server.url,
      '--private-key',
      server.publicKey,
    ]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^401/);
  });

  it('the SDK delivers a burst to the server started by odpkit serve, each event stored once', async () => {
    const client = createOdpClient({ odp: { apiKey: server.publicKey, apiHost: server.url }, logLevel: 'silent' });
    for (let i = 0; i < 500; i++) {
      client.sendOdpEvent(
        'page_viewed',
        { fs_user_id: 'sdk-burst-user', vuid: 'vuid_0e46d6e7b306407c8d33c9beffe' },
        undefined,
        { n: i },
      );
    }
    const summary = await client.close();
    expect(summary.sent).toBe(500);
    expect(summary.failed + summary.dropped + summary.rejected).toBe(0);
    const shown = await run(['customer', 'vuid=vuid_0e46d6e7b306407c8d33c9beffe', '--host', server.url, '--json'], {
      ODPKIT_PRIVATE_KEY: server.privateKey,
    });
    expect(shown.code).toBe(0);
    const profile = JSON.parse(shown.stdout);
    expect(profile.identifiers.fs_user_id).toEqual(['sdk-burst-user']);
    expect(profile.event_count).toBe(500);
  });
});
