import { WIRE_LIMITS } from '@odpkit/sdk/limits';
import { openStore } from '@odpkit/server';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IDENTIFIERS_PER_CUSTOMER } from '../src/ingest/stitch.js';
import { validateBatch } from '../src/ingest/validate.js';
import { SegmentService } from '../src/segments/service.js';
import {
  adminGet,
  createTestDb,
  describeStores,
  event,
  postEvents,
  request,
  startTestServer,
  type TestDb,
  type TestServer,
} from './helpers.js';

// The identity rules of the server README, one test per rule, through the real HTTP route and each real store. Each
// test uses its own identifier values, so the tests share one server without touching each other's customers.
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

    it('refuses to merge two customers that each hold an email; the event goes to its fs_user_id owner', async () => {
      await send(event({ fs_user_id: 'two-mail-u1', email: 'two-mail-a@x.io' }), event({ email: 'two-mail-b@x.io' }));
      const a = await customerOf('fs_user_id', 'two-mail-u1');
      const b = await customerOf('email', 'two-mail-b@x.io');
      expect(a).not.toBe(b);
      const refusedBefore = await metric('odpkit_customer_merges_refused_total');
      await send(event({ fs_user_id: 'two-mail-u1', email: 'two-mail-b@x.io' }, { linking: 'mail' }));
      expect(await lookup('fs_user_id', 'two-mail-u1')).toEqual({
        customerId: a,
        identifiers: { email: ['two-mail-a@x.io'], fs_user_id: ['two-mail-u1'] },
      });
      expect(await lookup('email', 'two-mail-b@x.io')).toEqual({
        customerId: b,
        identifiers: { email: ['two-mail-b@x.io'] },
      });
      const aEvents = await server.store.customerEvents(server.account.id, a!);
      expect(aEvents.map((e) => e.data['linking'])).toContain('mail');
      expect(await server.store.customerEventCount(server.account.id, b!)).toBe(1);
      expect(await metric('odpkit_customer_merges_refused_total')).toBe(refusedBefore + 1);
      expect(await refusalsOf(server, a!)).toEqual([{ refused: b, type: 'email' }]);
    });

    it('refuses to merge two customers that each hold a value of one custom key', async () => {
      await send(event({ crm_id: 'two-crm-1', email: 'two-crm@x.io' }), event({ crm_id: 'two-crm-2' }));
      const a = await customerOf('crm_id', 'two-crm-1');
      const b = await customerOf('crm_id', 'two-crm-2');
      expect(a).not.toBe(b);
      // No fs_user_id: the event goes to the older customer, and each crm_id stays with its owner.
      await send(event({ crm_id: 'two-crm-2', email: 'two-crm@x.io' }, { linking: 'crm' }));
      expect((await lookup('crm_id', 'two-crm-1'))?.identifiers).toEqual({
        crm_id: ['two-crm-1'],
        email: ['two-crm@x.io'],
      });
      expect(await lookup('crm_id', 'two-crm-2')).toEqual({ customerId: b, identifiers: { crm_id: ['two-crm-2'] } });
      const aEvents = await server.store.customerEvents(server.account.id, a!);
      expect(aEvents.map((e) => e.data['linking'])).toContain('crm');
      expect(await refusalsOf(server, a!)).toEqual([{ refused: b, type: 'crm_id' }]);
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

    /** Every fs_user_id held by the customer owning `key=value`. */
    const usersOf = async (key: string, value: string) => (await lookup(key, value))?.identifiers['fs_user_id'] ?? [];

    it('never gives a customer a second fs_user_id through a shared email; the email stays with its first owner', async () => {
      const refusedBefore = await metric('odpkit_customer_merges_refused_total');
      await send(event({ fs_user_id: 'carol', email: 'shared2@corp.com' }, { who: 'carol' }));
      await send(event({ fs_user_id: 'dave', email: 'shared2@corp.com' }, { who: 'dave' }));
      const carol = await customerOf('fs_user_id', 'carol');
      const dave = await customerOf('fs_user_id', 'dave');
      expect(carol).not.toBeNull();
      expect(dave).not.toBeNull();
      expect(dave).not.toBe(carol);
      expect(await usersOf('fs_user_id', 'carol')).toEqual(['carol']);
      expect(await lookup('fs_user_id', 'dave')).toEqual({ customerId: dave, identifiers: { fs_user_id: ['dave'] } });
      expect(await customerOf('email', 'shared2@corp.com')).toBe(carol);
      // Dave's event went to dave's own customer.
      const daveEvents = await server.store.customerEvents(server.account.id, dave!);
      expect(daveEvents.map((e) => e.data['who'])).toEqual(['dave']);
      expect(await metric('odpkit_customer_merges_refused_total')).toBe(refusedBefore + 1);
    });

    it('keeps one fs_user_id per customer whatever order a shared email and two fs_user_ids arrive in', async () => {
      const orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
      ];
      for (const [n, order] of orders.entries()) {
        const [bob, carol, mail] = [`order${n}-bob`, `order${n}-carol`, `order${n}@corp.com`];
        const events = [
          event({ fs_user_id: bob }),
          event({ fs_user_id: carol, email: mail }),
          event({ fs_user_id: bob, email: mail }),
        ];
        await send(...order.map((i) => events[i]!));
        expect(await usersOf('fs_user_id', bob), `order ${order}`).toEqual([bob]);
        expect(await usersOf('fs_user_id', carol), `order ${order}`).toEqual([carol]);
        expect(await customerOf('fs_user_id', bob)).not.toBe(await customerOf('fs_user_id', carol));
        // The email belongs to whichever person brought it first, and to one customer only.
        expect((await usersOf('email', mail)).length, `order ${order}`).toBe(1);
      }
    });

    it('gives thirty fs_user_ids sharing a test email thirty customers, the email staying with the first', async () => {
      const refusedBefore = await metric('odpkit_customer_merges_refused_total');
      for (let i = 1; i <= 30; i++) await send(event({ fs_user_id: `qa${i}`, email: 'Test@Test.com' }));
      const owners = new Set<string | null>();
      for (let i = 1; i <= 30; i++) {
        expect(await usersOf('fs_user_id', `qa${i}`)).toEqual([`qa${i}`]);
        owners.add(await customerOf('fs_user_id', `qa${i}`));
      }
      expect(owners.size).toBe(30);
      expect(await customerOf('email', 'test@test.com')).toBe(await customerOf('fs_user_id', 'qa1'));
      expect(await metric('odpkit_customer_merges_refused_total')).toBe(refusedBefore + 29);
    });

    it('keeps the first of two different fs_user_ids on one event and counts the second as capped', async () => {
      const cappedBefore = await metric('odpkit_identifiers_capped_total');
      await send(event({ fs_user_id: 'two-first', 'FS-USER-ID': 'two-second' }));
      expect(await usersOf('fs_user_id', 'two-first')).toEqual(['two-first']);
      expect(await lookup('fs_user_id', 'two-second')).toBeNull();
      expect(await metric('odpkit_identifiers_capped_total')).toBe(cappedBefore + 1);
    });

    it('attaches a new fs_user_id to the customer that owns the email when that customer has none', async () => {
      await send(event({ email: 'anon-first@x.io' }), event({ fs_user_id: 'anon-first-u', email: 'anon-first@x.io' }));
      expect(await usersOf('email', 'anon-first@x.io')).toEqual(['anon-first-u']);
    });

    it(`refuses an event with more than ${WIRE_LIMITS.maxIdentifiersPerEvent} identifier keys, naming the event`, async () => {
      const many = (n: number, tag: string) =>
        event(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `${tag}-${i}`])));
      const res = await postEvents(server, server.account.publicKey, [
        many(WIRE_LIMITS.maxIdentifiersPerEvent, 'ok'),
        many(WIRE_LIMITS.maxIdentifiersPerEvent + 1, 'over'),
      ]);
      expect(res.status).toBe(400);
      expect(res.json.detail.invalids).toEqual([
        {
          event: 1,
          message: `'identifiers' holds 51 keys, more than the ${WIRE_LIMITS.maxIdentifiersPerEvent} allowed per event`,
        },
      ]);
      expect(await lookup('k0', 'ok-0')).toBeNull(); // nothing of the batch was stored
      await send(many(WIRE_LIMITS.maxIdentifiersPerEvent, 'ok'));
      expect(await lookup('k49', 'ok-49')).not.toBeNull();
    });

    it(`holds at most ${MAX_IDENTIFIERS_PER_CUSTOMER} identifier values per customer; the rest are counted as capped`, async () => {
      const cappedBefore = await metric('odpkit_identifiers_capped_total');
      // Three events of 50 keys for one person (its fs_user_id and 49 distinct custom keys): 148 values, 100 kept.
      for (let e = 0; e < 3; e++) {
        const ids: Record<string, string> = { fs_user_id: 'wide-u' };
        for (let i = 0; i < 49; i++) ids[`wide_${e}_${i}`] = `v${i}`;
        await send(event(ids));
      }
      const c = await lookup('fs_user_id', 'wide-u');
      const held = Object.values(c!.identifiers).reduce((n, v) => n + v.length, 0);
      expect(held).toBe(MAX_IDENTIFIERS_PER_CUSTOMER);
      expect(await metric('odpkit_identifiers_capped_total')).toBe(cappedBefore + 148 - MAX_IDENTIFIERS_PER_CUSTOMER);
      expect(await server.store.customerEventCount(server.account.id, c!.customerId)).toBe(3);
      // A new value for the full customer is not attached, and the event still lands on the customer.
      await send(event({ fs_user_id: 'wide-u', email: 'wide@x.io' }));
      expect(await lookup('email', 'wide@x.io')).toBeNull();
      expect(await server.store.customerEventCount(server.account.id, c!.customerId)).toBe(4);
    });

    it('refuses a merge that would give the merged customer more values than the cap', async () => {
      const half = (tag: string, extra: Record<string, string>) => {
        const ids: Record<string, string> = { ...extra };
        for (let i = Object.keys(ids).length; i < 50; i++) ids[`${tag}_${i}`] = 'x';
        return event(ids);
      };
      // 99 values on one customer, 99 on another: linking them would make 198.
      await send(half('mleft', { fs_user_id: 'merge-cap-u' }), half('mleft2', { fs_user_id: 'merge-cap-u' }));
      await send(half('mright', { crm: 'merge-cap-crm' }), half('mright2', { crm: 'merge-cap-crm' }));
      const left = await customerOf('fs_user_id', 'merge-cap-u');
      const right = await customerOf('crm', 'merge-cap-crm');
      const refusedBefore = await metric('odpkit_customer_merges_refused_total');
      await send(event({ fs_user_id: 'merge-cap-u', crm: 'merge-cap-crm' }));
      expect(await customerOf('crm', 'merge-cap-crm')).toBe(right);
      expect(await customerOf('fs_user_id', 'merge-cap-u')).toBe(left);
      expect(await metric('odpkit_customer_merges_refused_total')).toBe(refusedBefore + 1);
    });

    it('ignores placeholders hidden by invisible characters, full-width forms, and unfilled templates', async () => {
      const placeholders = [
        '(null)',
        'N/A',
        '{}',
        '<nil>',
        '{{email}}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the unfilled template is the value under test
        '${userId}',
        'user-{{id}}',
        '%EMAIL%',
        '*|EMAIL|*',
        'null\u200b',
        '\ufeffundefined',
        'nu\u0000ll',
        'gu\u00adest',
        '\u200enone\u200f',
        'ｎｕｌｌ',
        'ＵＮＤＥＦＩＮＥＤ',
      ];
      const ignoredBefore = await metric('odpkit_identifiers_ignored_total');
      for (const [i, p] of placeholders.entries()) await send(event({ fs_user_id: p, email: `ph-${i}@x.io` }));
      expect(await metric('odpkit_identifiers_ignored_total')).toBe(ignoredBefore + placeholders.length);
      const customers = new Set<string | null>();
      for (const i of placeholders.keys()) customers.add(await customerOf('email', `ph-${i}@x.io`));
      expect(customers.size).toBe(placeholders.length);
      for (const p of placeholders) expect(await lookup('fs_user_id', p), JSON.stringify(p)).toBeNull();
    });

    it('matches values and keys written with invisible characters or full-width forms as the plain ones', async () => {
      await send(event({ 'E\u200bmail': '\ufeffＷｉｄｅ.Form@Example.com' }));
      const c = await customerOf('email', 'wide.form@example.com');
      expect(c).not.toBeNull();
      expect(await customerOf('ｅｍａｉｌ', 'wide.form@example.com\u200b')).toBe(c);
    });

    it('ignores identifier values with lone surrogates, so two broken values never become one identity', async () => {
      const ignoredBefore = await metric('odpkit_identifiers_ignored_total');
      await send(
        event({ fs_user_id: 'sur\udc00', email: 'sur-a@x.io' }),
        event({ fs_user_id: 'sur\udc01', email: 'sur-b@x.io' }),
      );
      expect(await metric('odpkit_identifiers_ignored_total')).toBe(ignoredBefore + 2);
      expect(await customerOf('email', 'sur-a@x.io')).not.toBe(await customerOf('email', 'sur-b@x.io'));
      expect(await lookup('fs_user_id', 'sur\udc00')).toBeNull();
      expect(await lookup('fs_user_id', 'sur\ufffd')).toBeNull();
      expect(await lookup('email', 'sur-a@x.io')).toMatchObject({ identifiers: { email: ['sur-a@x.io'] } });
    });

    it('qualifies a customer holding `email` for a segment written with `{"identifier": "Email"}`', async () => {
      const put = await request(server.url, {
        method: 'PUT',
        path: '/admin/v1/segments/has_email_key_case',
        headers: { 'x-api-key': server.account.privateKey, 'content-type': 'application/json' },
        body: JSON.stringify({ condition: { identifier: 'Email' } }),
      });
      expect(put.status).toBe(201);
      await send(event({ fs_user_id: 'seg-case-u', email: 'seg-case@x.io' }), event({ fs_user_id: 'seg-case-none' }));
      const segments = new SegmentService(server.store);
      const state = async (user: string) =>
        (await segments.qualifiedStates(server.account.id, 'fs_user_id', user, ['has_email_key_case']))?.[0]?.state;
      expect(await state('seg-case-u')).toBe('qualified');
      expect(await state('seg-case-none')).toBe('not_qualified');
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
    it('thirty people sending one shared email at once end as thirty customers, one of them holding the email', async () => {
      const server = await startTestServer({ store });
      try {
        const people = Array.from({ length: 30 }, (_, i) => `conc-qa${i}`);
        // Each person: an event with only their fs_user_id, one with the shared email, one with their own email.
        const requests = people.flatMap((p) => [
          postEvents(server, server.account.publicKey, [event({ fs_user_id: p })]),
          postEvents(server, server.account.publicKey, [event({ fs_user_id: p, email: 'shared@conc.io' })]),
          postEvents(server, server.account.publicKey, [event({ fs_user_id: p, email: `${p}@conc.io` })]),
        ]);
        expect((await Promise.all(requests)).every((r) => r.status === 202)).toBe(true);

        const customers = new Set<string>();
        for (const p of people) {
          const c = await server.store.lookupCustomer(server.account.id, 'fs_user_id', p);
          expect(c?.identifiers['fs_user_id'], p).toEqual([p]);
          expect(await server.store.lookupCustomer(server.account.id, 'email', `${p}@conc.io`)).toMatchObject({
            customerId: c!.customerId,
          });
          expect(await server.store.customerEventCount(server.account.id, c!.customerId)).toBe(3);
          customers.add(c!.customerId);
        }
        expect(customers.size).toBe(30);
        const holder = await server.store.lookupCustomer(server.account.id, 'email', 'shared@conc.io');
        expect(people).toContain(holder?.identifiers['fs_user_id']?.[0]);
        // Whoever committed first owns the email; every other person's shared-email event is one refused merge.
        const stats = (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;
        expect(stats).toMatchObject({ customers: 30, events: 90, refused_merges: 29, merges: 0 });
      } finally {
        await server.close();
      }
    });

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

// A database created before the per-type counts indexed identities by customer only; opening it must rebuild that index
// as (customer_id, type), which keeps every count stitching makes within the per-customer cap.
describeStores('identity index upgrade', (store) => {
  it('rebuilds identities_by_customer as (customer_id, type) on a database of the previous version', async () => {
    const db = await createTestDb(store);
    try {
      await (await openStore(db.db)).close();
      const before = await reopenAsPreviousVersion(db);
      expect(before).toEqual(['customer_id']);
      const s = await openStore(db.db);
      try {
        // The upgraded store stitches with the new index: a customer, then its bounded count, then the cap.
        const account = (await s.createAccount({ publicKey: 'pk_up', privateKey: 'sk_up' })).id;
        const v = validateBatch([event({ fs_user_id: 'up-u' }), event({ fs_user_id: 'up-v', email: 'up@x.io' })]);
        if (!v.ok) throw new Error('invalid');
        await s.ingest([{ accountId: account, receivedAt: 1, events: v.events }]);
        expect((await s.lookupCustomer(account, 'email', 'up@x.io'))?.identifiers['fs_user_id']).toEqual(['up-v']);
      } finally {
        await s.close();
      }
      expect(await indexColumns(db)).toEqual(['customer_id', 'type']);
    } finally {
      await db.drop();
    }
  });
});

/** The refused merges recorded with `kept` as the customer that kept the event, read from the database itself. */
async function refusalsOf(server: TestServer, kept: string): Promise<{ refused: string; type: string }[]> {
  const sql = 'SELECT refused_customer AS refused, type FROM refused_merges WHERE kept_customer = $1 ORDER BY id';
  let rows: { refused: string | number; type: string }[];
  if (server.schema) rows = await server.schema.query(sql, [kept]);
  else {
    const lite = new Database(server.db, { readonly: true });
    try {
      rows = lite.prepare(sql.replace('$1', '?')).all(Number(kept)) as typeof rows;
    } finally {
      lite.close();
    }
  }
  return rows.map((r) => ({ refused: String(r.refused), type: r.type }));
}

/** Puts the identities index and the schema's recorded version back as the previous version left them. */
async function reopenAsPreviousVersion(db: TestDb): Promise<string[]> {
  const downgrade = [
    'DROP INDEX identities_by_customer',
    'CREATE INDEX identities_by_customer ON identities (customer_id)',
  ];
  if (db.schema) {
    for (const sql of downgrade) await db.schema.query(sql);
    await db.schema.query('DELETE FROM odpkit_migrations WHERE version > 1');
  } else {
    const lite = new Database(db.db);
    for (const sql of downgrade) lite.exec(sql);
    lite.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
    lite.close();
  }
  return indexColumns(db);
}

async function indexColumns(db: TestDb): Promise<string[]> {
  if (db.schema) {
    const rows = await db.schema.query<{ a: string }>(
      `SELECT a.attname AS a FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, o)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE c.relname = 'identities_by_customer' AND n.nspname = $1 ORDER BY k.o`,
      [db.schema.name],
    );
    return rows.map((r) => r.a);
  }
  const lite = new Database(db.db, { readonly: true });
  try {
    return (lite.prepare("PRAGMA index_info('identities_by_customer')").all() as { name: string }[]).map((r) => r.name);
  } finally {
    lite.close();
  }
}
