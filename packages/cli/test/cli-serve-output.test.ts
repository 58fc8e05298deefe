import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, baseEnv, type Served, serve } from './helpers.js';

describe('odpkit serve output', () => {
  it('prints the banner before any log line, then logs at info on stderr', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'odpkit-cli-banner-'));
    try {
      // Both streams into one pipe, in the order the process wrote them.
      const child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, BIN, 'serve', '--port', '0'], {
        env: { ...baseEnv(), ODPKIT_DB: path.join(dir, 'odpkit.db') },
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      const exited = new Promise((done) => child.on('exit', done));
      // The server logs "Server listening" at info while it starts; wait until that line and the banner are through.
      while (!/"msg":"Server listening at/.test(out) || !out.includes('private key (admin API')) {
        await Promise.race([new Promise((r) => child.stdout.once('data', r)), exited]);
        if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
      }
      child.kill('SIGTERM');
      await exited;
      const lines = out.split('\n');
      const firstLog = lines.findIndex((l) => l.startsWith('{'));
      const banner = lines.findIndex((l) => l.startsWith('odpkit listening on '));
      expect(banner).toBeGreaterThanOrEqual(0);
      expect(lines.slice(banner, banner + 4).map((l) => l.split(/ on |: /)[0])).toEqual([
        'odpkit listening',
        'database',
        'public key (events, GraphQL)',
        'private key (admin API; keep it secret)',
      ]);
      expect(firstLog).toBeGreaterThan(banner + 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('odpkit serve --quiet', () => {
  let server: Served;
  let stderr = '';

  beforeAll(async () => {
    server = await serve(['--public-key', 'pk_quiet', '--private-key', 'sk_quiet']);
    server.child.stderr.on('data', (d) => {
      stderr += d;
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps request logs off but still reports a server error on stderr', async () => {
    const ok = await postEvent(server, 'quiet-1');
    expect(ok).toBe(202);
    // The fault is injected beside the server, as a failing disk would: a second connection adds a trigger that
    // refuses every event row, so the next commit fails inside the database.
    const side = new Database(path.join(server.dir, 'odpkit.db'));
    try {
      side.exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'simulated I/O failure'); END",
      );
      expect(await postEvent(server, 'quiet-2')).toBe(503);
      while (!stderr.includes('commit failed')) await new Promise((r) => server.child.stderr.once('data', r));
      expect(stderr).toContain('simulated I/O failure');
      // Only the error: no request log of the two requests, no start-up line.
      expect(stderr).not.toContain('incoming request');
      expect(stderr).not.toContain('Server listening');
      side.exec('DROP TRIGGER refuse');
    } finally {
      side.close();
    }
  });
});

async function postEvent(server: Served, user: string): Promise<number> {
  const res = await fetch(`${server.url}/v3/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': server.publicKey },
    body: JSON.stringify([
      { type: 'fullstack', action: 'purchased', identifiers: { fs_user_id: user }, data: { idempotence_id: user } },
    ]),
  });
  await res.text();
  return res.status;
}
