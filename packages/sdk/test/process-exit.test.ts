import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { distCjs, distEsm } from './helpers/paths.js';
import { type Responder, type Sink, startSink } from './helpers/sink.js';

const children = path.join(path.dirname(fileURLToPath(import.meta.url)), 'children');

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

/** Runs a command to completion; resolves with its exit code and stderr. The test timeout is the "promptly". */
function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

// Counts that are not multiples of the batch size (10) or of maxBatchSize (500): the last batch is partial, so an
// exit path that only sends full batches loses events and fails these tests.
function expectEachOnce(s: Sink, count: number) {
  expect(s.events).toHaveLength(count);
  expect(new Set(s.events.map((e) => e.data.idempotence_id)).size).toBe(count);
  expect(new Set(s.events.map((e) => e.data.i)).size).toBe(count);
}

describe('a Node process that sends and simply ends (built dist, no close())', () => {
  it('needs the built SDK', () => {
    // npm test builds first; a missing dist here means the build step was skipped, which must fail loudly.
    expect(existsSync(distEsm), `${distEsm} missing: run npm run build -w @odpkit/sdk`).toBe(true);
    expect(existsSync(distCjs), `${distCjs} missing: run npm run build -w @odpkit/sdk`).toBe(true);
  });

  it('ESM: all 1,003 events arrive and the process exits by itself', async () => {
    sink = await startSink();
    const result = await run(process.execPath, [path.join(children, 'send-and-exit.mjs')], {
      ODPKIT_DIST: pathToFileURL(distEsm).href,
      SINK_URL: sink.url,
      COUNT: '1003',
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expectEachOnce(sink, 1003);
    expect(sink.requests.every((r) => r.headers['x-api-key'] === 'pk_child')).toBe(true);
  }, 60_000);

  it('CJS: all 1,003 events arrive and the process exits by itself', async () => {
    sink = await startSink();
    const result = await run(process.execPath, [path.join(children, 'send-and-exit.cjs')], {
      ODPKIT_DIST: distCjs,
      SINK_URL: sink.url,
      COUNT: '1003',
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expectEachOnce(sink, 1003);
  }, 60_000);

  it('batches waiting to be retried at exit are still delivered, then the process exits', async () => {
    // The first requests fail with 503: their retries wait on (unref'd) backoff timers when the loop empties.
    const respond: Responder = (_req, i) => (i < 6 ? { status: 503 } : { status: 202 });
    sink = await startSink({ respond });
    const result = await run(process.execPath, [path.join(children, 'send-and-exit.mjs')], {
      ODPKIT_DIST: pathToFileURL(distEsm).href,
      SINK_URL: sink.url,
      COUNT: '53',
    });
    expect(result.code).toBe(0);
    expectEachOnce(sink, 53);
  }, 60_000);

  it('a server that never answers: the process still exits once flushTimeout passes, every event reported', async () => {
    // Retries are unbounded by default, so only the exit deadline can end this process; the request timeout
    // (10 s) is past the deadline, so the events are given up on while their request is in flight.
    sink = await startSink({ respond: () => 'hang' });
    const result = await run(process.execPath, [path.join(children, 'send-and-exit.mjs')], {
      ODPKIT_DIST: pathToFileURL(distEsm).href,
      SINK_URL: sink.url,
      COUNT: '13',
      FLUSH_TIMEOUT: '300',
      REPORT: '1',
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ shutdown_timeout: 13 });
    expect(sink.requests.length).toBeGreaterThan(0);
  }, 60_000);

  it('100,003 events under ulimit -n 256: every one arrives exactly once over at most maxInFlight connections', async () => {
    sink = await startSink();
    const result = await run(
      'bash',
      ['-c', `ulimit -n 256 && exec "${process.execPath}" "${path.join(children, 'send-and-exit.mjs')}"`],
      {
        ODPKIT_DIST: pathToFileURL(distEsm).href,
        SINK_URL: sink.url,
        COUNT: '100003',
        MAX_IN_FLIGHT: '4',
        MAX_BATCH_SIZE: '500',
      },
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expectEachOnce(sink, 100_003);
    expect(sink.connections.maxOpen).toBeLessThanOrEqual(4);
  }, 120_000);
});
