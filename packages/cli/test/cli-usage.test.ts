import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

// Every mistake in how odpkit is called exits 2 with one line that names the flag, whether commander or odpkit
// caught it; none of these reach the network or start a server.
describe('odpkit usage errors and --version', () => {
  it('--version prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it("commander's own errors exit 2: unknown option, missing argument, unknown command, no command", async () => {
    const unknownOption = await run(['send', 'x', '--bogus']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/^odpkit: unknown option '--bogus'/);
    const missing = await run(['customer']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'key=value'");
    expect((await run(['sned'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(['segments'])).code).toBe(2);
  });

  it('--help exits 0 and documents the exit statuses', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit status: 0 done, 1 failed');
  });

  it('a client --host that is not an http(s) URL is named once, with an example', async () => {
    for (const args of [
      ['send', 'x', '--id', 'fs_user_id=u', '--api-key', 'k', '--host', '127.0.0.1:8080'],
      ['customer', 'email=a@example.com', '--private-key', 'k', '--host', '127.0.0.1:8080'],
      ['segments', 'check', 'fs_user_id=u', '--segments', 'a', '--api-key', 'k', '--host', '127.0.0.1:8080'],
    ]) {
      const r = await run(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toBe(
        'odpkit: --host must be an http(s) URL such as http://127.0.0.1:8080 (got "127.0.0.1:8080")\n',
      );
    }
    const fromEnv = await run(['send', 'x', '--id', 'fs_user_id=u', '--api-key', 'k'], { ODPKIT_URL: 'localhost' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('--host must be an http(s) URL');
  });

  it('a repeated --id key is refused, naming the key, instead of dropping the first value', async () => {
    const r = await run(['send', 'x', '--id', 'email=a@example.com', '--id', 'email=b@example.com', '--api-key', 'k']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('odpkit: --id email is given twice; an event holds one value per key\n');
  });

  it('serve --port takes only a decimal integer 0-65535', async () => {
    for (const port of ['', '0x50', '1e3', '-1', '65536', 'http']) {
      const r = await run(['serve', '--port', port, '--db', ':memory:']);
      expect(r.code, port).toBe(2);
      expect(r.stderr).toBe(
        `odpkit: --port must be a decimal integer from 0 to 65535, 0 picking a free port (got "${port}")\n`,
      );
    }
    const fromEnv = await run(['serve', '--db', ':memory:'], { ODPKIT_PORT: '0x50' });
    expect(fromEnv.code).toBe(2);
  });

  it('serve --db refuses a URL scheme other than PostgreSQL, listing the supported forms, without the password', async () => {
    const r = await run(['serve', '--port', '0', '--db', 'mysql://app:s3cret@db.internal/odp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^odpkit: --db does not support mysql:\/\/ URLs; give a SQLite file path .*postgres:\/\//);
    expect(r.stderr).not.toContain('s3cret');
  });

  it('serve --log-level and ODPKIT_LOG_LEVEL take pino levels only', async () => {
    const flag = await run(['serve', '--port', '0', '--db', ':memory:', '--log-level', 'loud']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--log-level must be one of fatal, error, warn, info, debug, trace, silent');
    const env = await run(['serve', '--port', '0', '--db', ':memory:'], { ODPKIT_LOG_LEVEL: 'verbose' });
    expect(env.code).toBe(2);
  });

  it('a bad --timeout is a usage error for send and segments check', async () => {
    const send = await run(['send', 'x', '--id', 'fs_user_id=u', '--api-key', 'k', '--timeout', 'soon']);
    expect(send.code).toBe(2);
    expect(send.stderr).toContain('--timeout must be a positive number of milliseconds (got "soon")');
    const check = await run([
      'segments',
      'check',
      'fs_user_id=u',
      '--segments',
      'a',
      '--api-key',
      'k',
      '--timeout',
      '0',
    ]);
    expect(check.code).toBe(2);
  });
});
