// Child processes of the benchmarks: each subject runs in its own process so that its CPU is measured apart.

import { execFileSync, fork } from 'node:child_process';

/**
 * Forks `file` with an IPC channel and resolves { child, ...message } once it sends { ready: true, … }
 * (a child that exits first, or stays silent for `timeoutMs`, rejects).
 */
export function forkReady(file, args = [], { execArgv = [], env = process.env, timeoutMs = 120_000 } = {}) {
  const child = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, env });
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not get ready within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} before it was ready`));
    });
    child.on('message', (m) => {
      if (m?.ready) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolveReady({ ...m, child });
      }
    });
  });
}

/** Asks a child made ready by forkReady to close (message 'close'); SIGKILL after 30 s. */
export function stopChild(child) {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.send('close');
  });
}

/** The child side of forkReady/stopChild: announce readiness, then close and exit on 'close'. */
export function serveUntilClosed(ready, close) {
  process.on('message', async (message) => {
    if (message === 'close') {
      await close();
      process.send({ closed: true }, () => process.exit(0));
    }
  });
  process.send({ ready: true, pid: process.pid, ...ready });
}

/** Runs a node script to completion and returns the JSON of its last stdout line. */
export function runNodeJson(file, args, env = process.env) {
  const out = execFileSync(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
    maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out.toString().trim().split('\n').pop());
}
