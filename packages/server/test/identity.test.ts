import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminGet, describeStores, event, postEvents, request, startTestServer, type TestServer } from './helpers.js';

// The identity table of issue 3, one test per rule, through the real HTTP route and each real store. Each test uses
// its own identifier values, so the tests share one server without touching each other's customers.
describeStores('identity', (store) => {
  describe('stitching', () => {
    let server: TestServer;
    const send = async (...events: ReturnType<typeof event>[]) => {
      // One request per event, in order: the order is what these rules are about.
      for (const e of events) expect((await postEvents(server, server.account.publicKey, [e])).status).toBe(202);
    };
    const lookup = (key: string, value: string) => server.store.lookupCustomer(server.account.id, key, value);
    const customerOf = async (key: string, value: string) => (await lookup(key, value))?.customerId ?? null;
    const metric = async (name: string) => {
      const res = await request(server.url, { path: '/metrics', headers: { 'x-api-key': server.account.privateKey } });
      const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(res.text);
      return Number(m?.[1] ?? Number.NaN);
    };

    beforeAll(async () => {
      server = await startTestServer({ store });
    });
    afterAll(() => server?.close());

    it('merges two customers that an event links by a shared email; the older survives with all events', async () => {
      await send(event({ email: 'merge@x.io' }, { n: 1 }), event({ fs_user_id: 'merge-u' }, { n: 2 }));
      const older = await customerOf('email', 'merge@x.io');
      const younger = await customerOf('fs_user_id', 'merge-u');
      expect(older).not.toBe(younger);
      expect(Number(older)).toBeLessThan(Number(younger));

      await send(event({ email: 'merge@x.io', fs_user_id: 'merge-u' }, { n: 3 }));
      expect(await customerOf('fs_user_id', 'merge-u')).toBe(older);
      expect(await lookup('email', 'merge@x.io')).toEqual({
        customerId: older,
        identifiers: { email: ['merge@x.io'], fs_user_id: ['merge-u'] },
      });
      const events = await server.store.customerEvents(server.account.id, older!);
      expect(events.map((e) => e.data['n']).sort()).toEqual([1, 2, 3]);
      expect(await server.store.customerEvents(server.account.id, younger!)).toEqual([]);
    });

    it('follows merge chains: three customers end as the oldest one', async () => {
      await send(event({ email: 'chain@x.io' }), event({ fs_user_id: 'chain-u' }), event({ crm_id: 'chain-c' }));
      const oldest = await customerOf('email', 'chain@x.io');
      // crm joins fs_user_id's customer, then that customer joins the email's.
      await send(event({ fs_user_id: 'chain-u', crm_id: 'chain-c' }));
      await send(event({ crm_id: 'chain-c', email: 'chain@x.io' }));
      for (const [k, v] of [
        ['email', 'chain@x.io'],
        ['fs_user_id', 'chain-u'],
        ['crm_id', 'chain-c'],
      ] as const) {
        expect(await customerOf(k, v), `${k}=${v}`).toBe(oldest);
      }
      expect(await server.store.customerEvents(server.account.id, oldest!)).toHaveLength(5);
    });

    it('refuses to merge two customers with different fs_user_ids, records it, and attributes the event to the older', async () => {
      const refusedBefore = await metric('odpkit_customer_merges_refused_total');
      await send(event({ fs_user_id: 'refuse-1' }), event({ fs_user_id: 'refuse-2', email: 'refuse@x.io' }));
      const a = await customerOf('fs_user_id', 'refuse-1');
      const b = await customerOf('fs_user_id', 'refuse-2');
      await send(event({ fs_user_id: 'refuse-1', email: 'refuse@x.io' }, { linking: true }));
      expect(await customerOf('fs_user_id', 'refuse-1')).toBe(a);
      expect(await customerOf('fs_user_id', 'refuse-2')).toBe(b);
      expect(await customerOf('email', 'refuse@x.io')).toBe(b); // the email stays where it was
      const aEvents = await server.store.customerEvents(server.account.id, a!);
      expect(aEvents.map((e) => e.data['linking'])).toContain(true);
      expect(await metric('odpkit_customer_merges_refused_total')).toBe(refusedBefore + 1);
      const stats = await adminGet(server, server.account.privateKey, '/admin/v1/stats');
      expect(stats.json.refused_merges).toBeGreaterThanOrEqual(1);
    });

    it('moves a vuid to the other customer instead of bridging two people (shared device)', async () => {
      await send(event({ fs_user_id: 'vuid-alice', vuid: 'vuid_shared_device' }), event({ fs_user_id: 'vuid-bob' }));
      const alice = await customerOf('fs_user_id', 'vuid-alice');
      const bob = await customerOf('fs_user_id', 'vuid-bob');
      await send(event({ fs_user_id: 'vuid-bob', vuid: 'vuid_shared_device' }));
      expect(await customerOf('vuid', 'vuid_shared_device')).toBe(bob);
      expect(await customerOf('fs_user_id', 'vuid-alice')).toBe(alice);
      expect(alice).not.toBe(bob);
      expect((await lookup('fs_user_id', 'vuid-alice'))?.identifiers).toEqual({ fs_user_id: ['vuid-alice'] });
    });

    it('lets a login adopt the anonymous vuid history, but never gives one customer a second fs_user_id', async () => {
      await send(event({ vuid: 'vuid_anon_1' }, { n: 1 }));
      const anon = await customerOf('vuid', 'vuid_anon_1');
      await send(event({ vuid: 'vuid_anon_1', fs_user_id: 'adopt-u1' }, { n: 2 }));
      expect(await customerOf('fs_user_id', 'adopt-u1')).toBe(anon);
      // Another person logs in on the same browser: a new customer, and the vuid moves to them.
      await send(event({ vuid: 'vuid_anon_1', fs_user_id: 'adopt-u2' }, { n: 3 }));
      const second = await customerOf('fs_user_id', 'adopt-u2');
      expect(second).not.toBe(anon);
      expect(await customerOf('vuid', 'vuid_anon_1')).toBe(second);
      expect((await lookup('fs_user_id', 'adopt-u1'))?.identifiers).toEqual({ fs_user_id: ['adopt-u1'] });
    });

    it('ignores deny-listed placeholders (any case, quoted, zeros) and values over 400 characters', async () => {
      const placeholders = [
        'undefined',
        'NULL',
        ' none ',
        'NaN',
        '0',
        '-1',
        'Anonymous',
        'guest',
        '[object Object]',
        '"null"',
        "'undefined'",
        '00000000-0000-0000-0000-000000000000',
        '',
        'x'.repeat(401),
      ];
      const ignoredBefore = await metric('odpkit_identifiers_ignored_total');
      for (const [i, p] of placeholders.entries()) {
        await send(event({ fs_user_id: p, email: `deny-${i}@x.io` }));
      }
      expect(await metric('odpkit_identifiers_ignored_total')).toBe(ignoredBefore + placeholders.length);
      // Every event got its own customer: the placeholders glued nobody together.
      const customers = new Set<string | null>();
      for (const i of placeholders.keys()) customers.add(await customerOf('email', `deny-${i}@x.io`));
      expect(customers.size).toBe(placeholders.length);
      for (const p of ['undefined', 'null', 'NULL', '0', 'guest']) expect(await lookup('fs_user_id', p)).toBeNull();
      // 400 characters is still an identifier.
      await send(event({ fs_user_id: 'y'.repeat(400) }));
      expect(await lookup('fs_user_id', 'y'.repeat(400))).not.toBeNull();
    });

    it('keeps at most 25 values of one type per customer: the 26th is ignored and counted', async () => {
      const cappedBefore = await metric('odpkit_identifiers_capped_total');
      for (let i = 1; i <= 26; i++) await send(event({ fs_user_id: 'cap-u', email: `cap-${i}@x.io` }));
      const c = await lookup('fs_user_id', 'cap-u');
      expect(c?.identifiers['email']).toHaveLength(25);
      expect(await lookup('email', 'cap-25@x.io')).not.toBeNull();
      expect(await lookup('email', 'cap-26@x.io')).toBeNull();
      expect(await metric('odpkit_identifiers_capped_total')).toBe(cappedBefore + 1);
      // The event itself is still stored, on the customer.
      expect(await server.store.customerEventCount(server.account.id, c!.customerId)).toBe(26);
    });

    it('compares emails lower-cased and trimmed, at ingestion and at look-up', async () => {
      await send(event({ email: '  Case.Person@Example.COM ' }));
      const c = await customerOf('email', 'case.person@example.com');
      expect(c).not.toBeNull();
      expect(await customerOf('EMAIL', 'CASE.PERSON@EXAMPLE.COM')).toBe(c);
      await send(event({ email: 'case.person@example.com', fs_user_id: 'case-u' }));
      expect(await customerOf('fs_user_id', 'case-u')).toBe(c);
      expect((await lookup('email', 'case.person@example.com'))?.identifiers['email']).toEqual([
        'case.person@example.com',
      ]);
      // Other identifier types keep their case.
      await send(event({ fs_user_id: 'CaseSensitive' }));
      expect(await lookup('fs_user_id', 'casesensitive')).toBeNull();
    });

    it('normalises fs-user-id spellings of the key', async () => {
      await send(event({ 'FS-USER-ID': 'key-spelling' }));
      expect(await lookup('fs_user_id', 'key-spelling')).not.toBeNull();
    });

    it('stores an event whose identifiers are all ignored, unattributed and counted', async () => {
      const statsBefore = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
      const unattributedBefore = await metric('odpkit_events_unattributed_total');
      await send(event({ fs_user_id: 'undefined', vuid: 'null' }));
      const stats = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
      expect(stats.events).toBe(statsBefore.events + 1);
      expect(stats.unattributed).toBe(statsBefore.unattributed + 1);
      expect(stats.customers).toBe(statsBefore.customers);
      expect(await metric('odpkit_events_unattributed_total')).toBe(unattributedBefore + 1);
    });
  });

  describe('concurrent stitching', () => {
    it('overlapping identities sent concurrently end in one consistent graph', async () => {
      const server = await startTestServer({ store });
      try {
        // 6 people, each with one value of each of 4 high-confidence types; events link random pairs of one person's
        // values, so every person must end as exactly one customer whatever order the requests commit in.
        const types = ['fs_user_id', 'email', 'crm_id', 'order_key'];
        const value = (p: number, t: string) => (t === 'email' ? `p${p}@x.io` : `${t}-${p}`);
        let seed = 7;
        const rand = (n: number) => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed % n;
        };
        const sent: { person: number; id: string; identifiers: Record<string, string> }[] = [];
        const requests = Array.from({ length: 40 }, () => {
          const batch = Array.from({ length: 5 }, () => {
            const person = rand(6);
            const a = types[rand(4)]!;
            const b = types[rand(4)]!;
            const e = event({ [a]: value(person, a), [b]: value(person, b) });
            sent.push({ person, id: e.data['idempotence_id'] as string, identifiers: e.identifiers });
            return e;
          });
          return postEvents(server, server.account.publicKey, batch);
        });
        // Make sure every value appears at least once and every person is fully linked in the end.
        for (let p = 0; p < 6; p++) {
          const e = event(Object.fromEntries(types.map((t) => [t, value(p, t)])));
          sent.push({ person: p, id: e.data['idempotence_id'] as string, identifiers: e.identifiers });
          requests.push(postEvents(server, server.account.publicKey, [e]));
        }
        const replies = await Promise.all(requests);
        expect(replies.map((r) => r.status).every((s) => s === 202)).toBe(true);

        const customerOfPerson = new Map<number, string>();
        for (let p = 0; p < 6; p++) {
          const owners = new Set<string>();
          for (const t of types) {
            const c = await server.store.lookupCustomer(server.account.id, t, value(p, t));
            expect(c).not.toBeNull();
            owners.add(c!.customerId);
            // Each value is held exactly once, by this customer.
            expect(c!.identifiers[t]).toEqual([value(p, t)]);
          }
          expect(owners.size, `person ${p}`).toBe(1);
          customerOfPerson.set(p, [...owners][0]!);
        }
        expect(new Set(customerOfPerson.values()).size).toBe(6);
        // Every event belongs to the customer holding its identifiers.
        for (let p = 0; p < 6; p++) {
          const events = await server.store.customerEvents(server.account.id, customerOfPerson.get(p)!);
          const ids = new Set(events.map((e) => e.data['idempotence_id']));
          const expected = sent.filter((s) => s.person === p).map((s) => s.id);
          expect(ids).toEqual(new Set(expected));
        }
        const stats = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
        expect(stats.customers).toBe(6);
        expect(stats.events).toBe(sent.length);
      } finally {
        await server.close();
      }
    });
  });
});
