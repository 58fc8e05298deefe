import { describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { startSink } from './helpers/sink.js';

/** Small deterministic PRNG so a failure reproduces from its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function garbage(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 22);
  switch (pick) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return Number.NaN;
    case 3:
      return r() < 0.5 ? Number.POSITIVE_INFINITY : -0;
    case 4:
      return 'x'.repeat(Math.floor(r() * 200_000));
    case 5:
      return Symbol('s');
    case 6:
      return 10n ** 30n;
    case 7:
      return () => {
        throw new Error('called');
      };
    case 8: {
      const cyc: Record<string, unknown> = { fs_user_id: 'u' };
      cyc.self = cyc;
      return cyc;
    }
    case 9:
      return JSON.parse('{"__proto__":{"polluted":"yes"},"fs_user_id":"u"}');
    case 10:
      return Object.defineProperty({}, 'email', {
        enumerable: true,
        get() {
          throw new Error('getter');
        },
      });
    case 11:
      return new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('proxy ownKeys');
          },
        },
      );
    case 12:
      return new Proxy(
        { fs_user_id: 'u' },
        {
          get() {
            throw new Error('proxy get');
          },
        },
      );
    case 13:
      return new Proxy(new Map([['fs_user_id', 'u']]), {});
    case 14:
      return Object.create(null);
    case 15:
      return new Map<unknown, unknown>([
        [Symbol('k'), 1],
        [{}, 'v'],
        ['k', garbage(r, depth + 1)],
      ]);
    case 16:
      return depth > 3 ? 'deep' : { a: garbage(r, depth + 1), b: [garbage(r, depth + 1)] };
    case 17:
      return '\ud800 lone surrogate';
    case 18:
      return { fs_user_id: 'u', email: garbage(r, depth + 1) };
    case 19:
      return Math.floor(r() * 1e6);
    case 20:
      return { toString: () => 'fs_user_id', valueOf: () => 1 };
    default:
      return Object.freeze({ fs_user_id: `u${Math.floor(r() * 1000)}`, vuid: 'v' });
  }
}

/** Random identifiers within the rules: 1 to 5 keys, non-empty string values (some multi-byte). */
function validIdentifiers(r: () => number): Record<string, string> {
  const out: Record<string, string> = {};
  const n = 1 + Math.floor(r() * 5);
  for (let k = 0; k < n; k++) out[`id_${k}`] = `v${Math.floor(r() * 1e9)}${r() < 0.3 ? 'é😀' : ''}`;
  return out;
}

/** Random data within the rules: strings, finite numbers (safe integers and fractions), booleans and null. */
function validData(r: () => number): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  const n = Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const pick = Math.floor(r() * 5);
    out[`d_${k}`] =
      pick === 0
        ? 'x'.repeat(Math.floor(r() * 300))
        : pick === 1
          ? Math.floor((r() - 0.5) * Number.MAX_SAFE_INTEGER)
          : pick === 2
            ? r() * 1000
            : pick === 3
              ? r() < 0.5
              : null;
  }
  return out;
}

describe('garbage never escapes sendOdpEvent or identifyUser', () => {
  it('5,000 random calls: no throw, every call accounted for exactly once, nothing invalid on the wire', async () => {
    const sink = await startSink();
    try {
      const { client, outcomes } = clientFor(sink, { logLevel: 'silent' });
      const r = rng(20261128);
      const calls = 5000;
      // Every fourth call is valid by construction (random, but within every rule), so the test cannot pass
      // vacuously by rejecting everything: each of those must reach the wire.
      const valid = new Set<number>();
      for (let i = 0; i < calls; i++) {
        const args = [garbage(r), garbage(r), garbage(r), garbage(r)];
        const mode = i % 4;
        expect(() => {
          if (mode === 0) (client.sendOdpEvent as (...a: unknown[]) => void)(...args);
          else if (mode === 1)
            (client.sendOdpEvent as (e: unknown) => void)({ action: args[0], identifiers: args[1], data: args[3] });
          else if (mode === 2) (client.identifyUser as (i: unknown) => void)(args[1]);
          else {
            valid.add(i);
            client.sendOdpEvent(`act_${i}`, validIdentifiers(r), r() < 0.5 ? undefined : 'custom', {
              ...validData(r),
              fuzz_valid: i,
            });
          }
        }).not.toThrow();
      }
      const summary = await client.close();
      expect(summary.sent + summary.rejected + summary.failed + summary.dropped).toBe(calls);
      expect(valid.size).toBe(calls / 4);
      expect(summary.sent).toBeGreaterThanOrEqual(valid.size);
      const arrived = new Set(sink.events.map((e) => e.data.fuzz_valid).filter((v) => v !== undefined));
      expect(arrived).toEqual(valid);
      expect(outcomes).toHaveLength(calls);
      expect(summary.failed).toBe(0);
      expect(sink.events).toHaveLength(summary.sent);
      for (const o of outcomes.filter((x) => x.status === 'rejected')) expect(o.reason).toMatch(/\S/);
      // Whatever reached the wire obeys the event contract.
      for (const e of sink.events) {
        expect(typeof e.action).toBe('string');
        expect(Object.values(e.identifiers).every((v) => typeof v === 'string' && v !== '')).toBe(true);
        for (const v of Object.values(e.data)) {
          expect(v === null || ['string', 'boolean'].includes(typeof v) || Number.isFinite(v)).toBe(true);
        }
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      await sink.close();
    }
  });
});
