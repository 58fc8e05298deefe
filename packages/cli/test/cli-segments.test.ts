import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type Served, serve } from './helpers.js';

describe('odpkit serve --segments, segments apply / list / check', () => {
  let server: Served;
  let env: Record<string, string>;

  beforeAll(async () => {
    const file = path.join(process.env.TMPDIR ?? '/tmp', `odpkit-cli-segments-${process.pid}.json`);
    writeFileSync(file, JSON.stringify([{ name: 'has_purchased', condition: { event: { action: 'purchased' } } }]));
    server = await serve(['--segments', file]);
    env = { ODPKIT_URL: server.url, ODPKIT_PUBLIC_KEY: server.publicKey, ODPKIT_PRIVATE_KEY: server.privateKey };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serve applied the segment file; apply adds and replaces definitions', async () => {
    const list = await run(['segments', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout.trim()).toBe('has_purchased');

    const file = path.join(server.dir, 'more.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'has_purchased', condition: { event: { action: 'purchased' } } },
        { name: 'has_email', description: 'known email', condition: { identifier: 'email' } },
      ]),
    );
    const applied = await run(['segments', 'apply', file], env);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('created: has_email');
    expect(applied.stdout).toContain('unchanged: has_purchased');
    expect((await run(['segments', 'list'], env)).stdout).toBe('has_email  known email\nhas_purchased\n');
  });

  it('apply refuses an invalid file with every error and changes nothing', async () => {
    const file = path.join(server.dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'a', condition: { and: [] } },
        { name: 'b', condition: { event: { action: 'x' }, within: '30x' } },
      ]),
    );
    const r = await run(['segments', 'apply', file, '--replace'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^400 /);
    expect(r.stderr).toContain('and');
    expect(r.stderr).toContain('30x');
    expect((await run(['segments', 'list'], env)).stdout).toContain('has_purchased');
  });

  it('check asks through the SDK which segments a customer is in', async () => {
    const sent = await run(['send', 'purchased', '--id', 'email=seg@example.com', '--data', 'price=10'], env);
    expect(sent.code).toBe(0);
    const all = await run(['segments', 'check', 'email=seg@example.com'], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe('qualified      has_email\nqualified      has_purchased\n');
    const some = await run(['segments', 'check', 'email=seg@example.com', '--segments', 'has_purchased,vip'], {
      ODPKIT_URL: server.url,
      ODPKIT_PUBLIC_KEY: server.publicKey,
    });
    expect(some.stdout).toBe('qualified      has_purchased\nnot qualified  vip\n');
    // Only the public key: the definitions cannot be listed, and stderr says the names were not checked.
    expect(some.stderr).toContain('not checked that the segments are defined on the server');
  });

  it('check warns on stderr about a segment the server does not define, which would otherwise read as an answer', async () => {
    const r = await run(
      ['segments', 'check', 'email=seg@example.com', '--segments', 'has_purchased,has_purchsed'],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('qualified      has_purchased\nnot qualified  has_purchsed\n');
    expect(r.stderr).toBe('odpkit: warning: segment "has_purchsed" is not defined on the server\n');
    const defined = await run(['segments', 'check', 'email=seg@example.com', '--segments', 'has_purchased'], env);
    expect(defined.stderr).toBe('');
  });

  it('check reports an unknown customer with the reason and exit 1', async () => {
    const r = await run(['segments', 'check', 'email=nobody@example.com', '--segments', 'has_purchased'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('segments not fetched (invalid_identifier)');
  });

  it('serve refuses to start with an invalid segment file, naming the problem', async () => {
    const file = path.join(server.dir, 'invalid.json');
    writeFileSync(file, JSON.stringify([{ name: 'x', condition: { event: { where: { p: { gtee: 1 } } } } }]));
    await expect(serve(['--segments', file])).rejects.toThrow(/gtee/);
  });
});
