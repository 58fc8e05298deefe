import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from './helpers/client.js';
import { type Sink, startSink } from './helpers/sink.js';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(() => sink.close());

describe('identifyUser', () => {
  it.each([
    ['an object', { fs_user_id: 'u1', vuid: 'vuid_1' }],
    [
      'a Map',
      new Map([
        ['fs_user_id', 'u1'],
        ['vuid', 'vuid_1'],
      ]),
    ],
  ])('sends "identified" with two identifiers given as %s', async (_label, ids) => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    client.identifyUser(ids);
    expect((await client.close()).sent).toBe(1);
    expect(sink.events[before]).toMatchObject({
      type: 'fullstack',
      action: 'identified',
      identifiers: { fs_user_id: 'u1', vuid: 'vuid_1' },
    });
  });

  it('skips empty values and sends the rest when at least two remain, normalising fs_user_id', async () => {
    const { client } = clientFor(sink);
    const before = sink.events.length;
    client.identifyUser({ 'FS-USER-ID': 'u1', email: 'e@x.io', phone: '', vuid: null, other: undefined });
    await client.close();
    expect(sink.events[before]!.identifiers).toEqual({ fs_user_id: 'u1', email: 'e@x.io' });
  });

  it.each([
    [{ fs_user_id: 'u1' }, 1],
    [{ fs_user_id: 'u1', email: '', vuid: null }, 1],
    [{ fs_user_id: 'u1', FS_USER_ID: 'u1' }, 1],
    [{}, 0],
  ])('sends nothing with fewer than two non-empty identifiers: %o', async (ids, count) => {
    const { client, outcomes, logger } = clientFor(sink);
    const before = sink.requests.length;
    client.identifyUser(ids);
    const summary = await client.close();
    const reason = `identifyUser needs at least two non-empty identifiers (got ${count}); nothing sent`;
    expect(outcomes).toEqual([{ status: 'rejected', code: 'identify_skipped', reason }]);
    expect(summary.rejected).toBe(1);
    // Not an error: a single id is the normal case for a user context; it is visible at debug level.
    expect(logger.errors()).toEqual([]);
    expect(logger.lines).toContainEqual({ level: 'debug', message: `odpkit: ${reason}` });
    expect(sink.requests.length).toBe(before);
  });

  it('rejects non-string identifier values clearly, and never throws on garbage', async () => {
    const { client, outcomes } = clientFor(sink);
    client.identifyUser({ fs_user_id: 'u1', vuid: 42 } as never);
    expect(() => client.identifyUser('u1' as never)).not.toThrow();
    client.identifyUser(
      new Map<unknown, string>([
        ['fs_user_id', 'u1'],
        [7, 'x'],
      ]) as never,
    );
    await client.close();
    expect(outcomes.map((o) => o.reason)).toEqual([
      'identifiers.vuid must be a non-empty string (got number 42)',
      'identifiers must be a plain object or a Map (got string "u1")',
      'identifyUser: identifiers has a key that is not a string (number 7)',
    ]);
  });
});
