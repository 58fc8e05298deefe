import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { distEsm } from './helpers/paths.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'children', 'many-clients.mjs');

interface Measure {
  sent: number;
  kept: number;
  heapBefore: number;
  heapAfter: number;
  externalBefore: number;
  externalAfter: number;
}

/** Runs the child in its own process (clean heap, --expose-gc) and returns what it measured. */
function measure(keep: boolean, clients: number, mode = 'odp'): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', child], {
      env: {
        ...process.env,
        ODPKIT_DIST: pathToFileURL(distEsm).href,
        CLIENTS: String(clients),
        MODE: mode,
        KEEP: keep ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c) => {
      out += c;
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Measure) : reject(new Error(`child exited ${code}`)),
    );
  });
}

const grown = (m: Measure) => m.heapAfter - m.heapBefore + (m.externalAfter - m.externalBefore);

describe('memory held by clients (built dist, child process with --expose-gc)', () => {
  it('1,000 clients used once and dropped without close(): memory returns to its baseline', async () => {
    const CLIENTS = 1000;
    // The control: the same 1,000 clients kept referenced. What they hold is what a leak of them would cost.
    const kept = await measure(true, CLIENTS);
    const dropped = await measure(false, CLIENTS);
    expect(kept).toMatchObject({ sent: CLIENTS, kept: CLIENTS });
    expect(dropped).toMatchObject({ sent: CLIENTS, kept: 0 });
    // Generous: a dropped client may leave a little behind (compiled code, pools), but less than half a client.
    expect(grown(dropped)).toBeLessThan(grown(kept) / 2);
  }, 60_000);

  it('clients configured from a datafile URL are not kept alive by their poll timers', async () => {
    const kept = await measure(true, 300, 'datafileUrl');
    const dropped = await measure(false, 300, 'datafileUrl');
    expect(dropped).toMatchObject({ sent: 300, kept: 0 });
    expect(grown(dropped)).toBeLessThan(grown(kept) / 2);
  }, 60_000);

  it('a client that sent one event holds no burst-sized buffer', async () => {
    const kept = await measure(true, 200);
    expect(kept.sent).toBe(200);
    // Queue buffers start small and grow with a burst; a full 1 MiB slab per client would be ~200 MiB here.
    expect((kept.externalAfter - kept.externalBefore) / 200).toBeLessThan(64 * 1024);
  }, 60_000);
});
