import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runNode, type Served, serve } from './helpers.js';

// The examples the root README tells a newcomer to run, run the same way (`node examples/…` from the checkout)
// against a real server. They read ODPKIT_URL and ODPKIT_PUBLIC_KEY, defaulting to the README's demo values.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES = path.join(ROOT, 'examples');

const node = (script: string, env: Record<string, string>) => runNode([script], env, ROOT);

describe('examples/, as the README runs them', () => {
  let server: Served;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await serve(['--public-key', 'pk_demo', '--private-key', 'sk_demo']);
    env = { ODPKIT_URL: server.url, ODPKIT_PUBLIC_KEY: 'pk_demo', ODPKIT_PRIVATE_KEY: 'sk_demo' };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('every file in examples/ is run by this test', () => {
    expect(readdirSync(EXAMPLES).sort()).toEqual(['quickstart.mjs', 'segments.json', 'segments.mjs']);
  });

  it('the README shows each example as it is in examples/', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```(?:js|json)\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const file of ['quickstart.mjs', 'segments.json', 'segments.mjs']) {
      const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
      // The README leaves out a file's opening comment lines, nothing else.
      const body = text.replace(/^(\/\/.*\n)+/, '');
      expect(blocks, file).toContain(body);
      expect(readme).toContain(`(examples/${file})`);
    }
  });

  it('segments.json applies cleanly', async () => {
    const r = await run(['segments', 'apply', path.join(EXAMPLES, 'segments.json')], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('created: has_purchased, big_spender\n');
  });

  it('quickstart.mjs sends its two events, which the server stores on one customer', async () => {
    const r = await node('examples/quickstart.mjs', env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^sent /gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/sent: 2,\s+failed: 0,\s+dropped: 0,\s+rejected: 0/);
    const shown = await run(['customer', 'email=x@example.com', '--json'], env);
    expect(shown.code).toBe(0);
    const profile = JSON.parse(shown.stdout);
    expect(profile.identifiers.fs_user_id).toEqual(['user123']);
    expect(profile.event_count).toBe(2);
  });

  it('segments.mjs prints what the server answers for user123, and follows it when that changes', async () => {
    const first = await node('examples/segments.mjs', env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('has_purchased true\nbig_spender false\n');

    for (let i = 0; i < 2; i++) {
      const sent = await run(['send', 'purchased', '--id', 'fs_user_id=user123', '--data', 'price=120'], env);
      expect(sent.code).toBe(0);
    }
    const after = await node('examples/segments.mjs', env);
    expect(after.stdout).toBe('has_purchased true\nbig_spender true\n');
  });

  it('segments.mjs exits 1 with the reason when the server refuses the key', async () => {
    const r = await node('examples/segments.mjs', { ...env, ODPKIT_PUBLIC_KEY: 'pk_wrong' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^segments not fetched: .*401/m);
  });
});
