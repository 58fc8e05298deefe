import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI: these tests exercise what users run (`npm test` builds before vitest). */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `odpkit …` to completion with a clean environment for the ODPKIT_* variables. */
export function run(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runNode([BIN, ...args], env);
}

/** Run `node …` to completion, like `run` but for any script, from `cwd` when given. */
export function runNode(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...baseEnv(), ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** This process's environment without ODPKIT_* variables, so a developer's settings cannot change a test. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ODPKIT_')) delete env[k];
  return env;
}

export interface Served {
  url: string;
  publicKey: string;
  privateKey: string;
  child: ChildProcessWithoutNullStreams;
  dir: string;
  stop(): Promise<void>;
}

/** `odpkit serve` on an ephemeral port and a fresh SQLite file; resolves once it printed its URL and keys. */
export function serve(extra: string[] = []): Promise<Served> {
  const dir = mkdtempSync(path.join(tmpdir(), 'odpkit-cli-'));
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--db', path.join(dir, 'odpkit.db'), '--quiet', ...extra],
    { env: baseEnv() },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => reject(new Error(`odpkit serve exited early (${code}): ${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      const publicKey = /public key[^:]*: (\S+)/.exec(out)?.[1];
      const privateKey = /private key[^:]*: (\S+)/.exec(out)?.[1];
      if (url && publicKey && privateKey) {
        child.removeAllListeners('exit');
        resolve({
          url,
          publicKey,
          privateKey,
          child,
          dir,
          stop: () =>
            new Promise<void>((done) => {
              child.on('exit', () => {
                rmSync(dir, { recursive: true, force: true });
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}
