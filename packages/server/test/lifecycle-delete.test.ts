import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import {
  adminGet,
  describeStores,
  event,
  postEvents,
  type Reply,
  request,
  startTestServer,
  type TestServer,
} from './helpers.js';

function adminDelete(server: TestServer, key: string, value: string): Promise<Reply> {
  const q = new URLSearchParams({ key, value });
  return request(server.url, {
    method: 'DELETE',
    path: `/admin/v1/customers?${q}`,
    headers: { authorization: `Bearer ${server.account.privateKey}` },
  });
}

async function graphqlCustomer(server: TestServer, key: string, value: string) {
  const res = await request(server.url, {
    method: 'POST',
    path: '/v3/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': server.account.publicKey },
    body: JSON.stringify({
      query: `query($v: String) { customer(${key}: $v) { audiences(subset: ["any"]) { edges { node { name state } } } } }`,
      variables: { v: value },
    }),
  });
  return res.json;
}

const stats = async (server: TestServer) => (await adminGet(server, server.account.privateKey, '/admin/v1/stats')).json;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describeStores('DELETE /admin/v1/customers', (store) => {
  it('removes the customer, its merged customers, events and identifiers, and says how many', async () => {
    const lines: string[] = [];
    server = await startTestServer({
      store,
      // At the most verbose level: no log line may carry the identifiers, the query string included.
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    const pub = server.account.publicKey;
    const first = event({ fs_user_id: 'u-del-1' }, {}, 'viewed');
    // Two customers, then one event carrying both identifiers merges them.
    expect((await postEvents(server, pub, [first])).status).toBe(202);
    expect((await postEvents(server, pub, [event({ email: 'gone@example.com' })])).status).toBe(202);
    expect((await postEvents(server, pub, [event({ fs_user_id: 'u-del-1', email: 'gone@example.com' })])).status).toBe(
      202,
    );
    expect((await postEvents(server, pub, [event({ fs_user_id: 'stays' })])).status).toBe(202);
    const before = await stats(server);
    expect(before).toMatchObject({ customers: 2, events: 4, merges: 1 });

    const res = await adminDelete(server, 'email', 'Gone@Example.com'); // normalised like the look-up
    expect(res.status).toBe(200);
    expect(res.json.deleted).toEqual({ events: 3, identifiers: 2, merged_customers: 1 });
    expect(typeof res.json.customer_id).toBe('string');

    for (const [key, value] of [
      ['email', 'gone@example.com'],
      ['fs_user_id', 'u-del-1'],
    ] as const) {
      const json = await graphqlCustomer(server, key, value);
      expect(json.data).toEqual({ customer: null });
      expect(json.errors[0].extensions.code).toBe('INVALID_IDENTIFIER_EXCEPTION');
      const q = new URLSearchParams({ key, value });
      expect((await adminGet(server, server.account.privateKey, `/admin/v1/customers?${q}`)).status).toBe(404);
    }
    // The other customer is untouched.
    expect((await graphqlCustomer(server, 'fs_user_id', 'stays')).data.customer).not.toBeNull();
    expect(await stats(server)).toMatchObject({ customers: 1, events: 1, merges: 1, duplicates: 0 });

    // A retry of an event stored before the deletion is a duplicate: the person does not come back.
    expect((await postEvents(server, pub, [first])).status).toBe(202);
    expect((await graphqlCustomer(server, 'fs_user_id', 'u-del-1')).errors[0].extensions.code).toBe(
      'INVALID_IDENTIFIER_EXCEPTION',
    );
    expect(await stats(server)).toMatchObject({ customers: 1, events: 1, duplicates: 1 });

    // A second delete finds nothing.
    expect((await adminDelete(server, 'email', 'gone@example.com')).status).toBe(404);

    const logged = lines.filter((l) => l.includes('customer deleted'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] as string)).toMatchObject({ customer_id: res.json.customer_id, events: 3 });
    const all = lines.join('\n');
    expect(all).not.toContain('gone@example.com');
    expect(all.toLowerCase()).not.toContain('gone@example');
    expect(all).not.toContain('u-del-1');
  });

  it('takes a chain of merges with it (A into B, then B into C)', async () => {
    server = await startTestServer({ store });
    const pub = server.account.publicKey;
    for (const batch of [
      [event({ crm_id: 'c' })],
      [event({ email: 'b@example.com' })],
      [event({ fs_user_id: 'a' })],
      [event({ fs_user_id: 'a', email: 'b@example.com' })],
      [event({ email: 'b@example.com', crm_id: 'c' })],
    ]) {
      expect((await postEvents(server, pub, batch)).status).toBe(202);
    }
    expect(await stats(server)).toMatchObject({ customers: 1, events: 5, merges: 2 });
    const res = await adminDelete(server, 'fs_user_id', 'a');
    expect(res.json.deleted).toEqual({ events: 5, identifiers: 3, merged_customers: 2 });
    expect(await stats(server)).toMatchObject({ customers: 0, events: 0 });
    for (const [key, value] of [
      ['crm_id', 'c'],
      ['email', 'b@example.com'],
    ] as const) {
      expect((await graphqlCustomer(server, key, value)).errors[0].extensions.code).toBe(
        'INVALID_IDENTIFIER_EXCEPTION',
      );
    }
  });

  it('deletes the segment state kept for the customer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odpkit-segments-'));
    const segmentsFile = join(dir, 'segments.json');
    writeFileSync(
      segmentsFile,
      JSON.stringify([{ name: 'buyer', condition: { event: { action: 'purchased' }, count: { gte: 2 } } }]),
    );
    server = await startTestServer({ store, segmentsFile });
    rmSync(dir, { recursive: true, force: true });
    const s = server;
    await postEvents(s, s.account.publicKey, [event({ fs_user_id: 'st' }), event({ fs_user_id: 'st' })]);
    const before = await adminGet(s, s.account.privateKey, '/admin/v1/customers?key=fs_user_id&value=st');
    expect(before.json.segments).toEqual(['buyer']);
    const id = before.json.customer_id;
    const stateRows = async () => {
      if (s.schema !== null) {
        return Number(
          (await s.schema.query('SELECT count(*) AS n FROM segment_state WHERE customer_id = $1', [id]))[0]?.n,
        );
      }
      const db = new Database(s.db, { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM segment_state WHERE customer_id = ?').pluck().get(Number(id)) as number;
      } finally {
        db.close();
      }
    };
    expect(await stateRows()).toBe(1);
    expect((await adminDelete(s, 'fs_user_id', 'st')).status).toBe(200);
    expect(await stateRows()).toBe(0);
    // One purchase after the deletion is a new customer with one purchase: not a buyer.
    await postEvents(s, s.account.publicKey, [event({ fs_user_id: 'st' })]);
    const after = await adminGet(s, s.account.privateKey, '/admin/v1/customers?key=fs_user_id&value=st');
    expect(after.json.segments).toEqual([]);
  });

  it('needs the private key and a key and value; another account cannot delete', async () => {
    server = await startTestServer({ store });
    await postEvents(server, server.account.publicKey, [event({ fs_user_id: 'mine' })]);
    const q = '/admin/v1/customers?key=fs_user_id&value=mine';
    expect((await request(server.url, { method: 'DELETE', path: q })).status).toBe(401);
    const asPublic = await request(server.url, {
      method: 'DELETE',
      path: q,
      headers: { authorization: `Bearer ${server.account.publicKey}` },
    });
    expect(asPublic.status).toBe(401);
    const other = await server.store.createAccount({ publicKey: `p-${randomUUID()}`, privateKey: `k-${randomUUID()}` });
    const fromOther = await request(server.url, {
      method: 'DELETE',
      path: q,
      headers: { authorization: `Bearer ${other.privateKey}` },
    });
    expect(fromOther.status).toBe(404);
    const bad = await request(server.url, {
      method: 'DELETE',
      path: '/admin/v1/customers?key=fs_user_id',
      headers: { authorization: `Bearer ${server.account.privateKey}` },
    });
    expect(bad.status).toBe(400);
    expect((await graphqlCustomer(server, 'fs_user_id', 'mine')).data.customer).not.toBeNull();
  });

  it('leaves exact counts when the same customer keeps sending while it is deleted', async () => {
    server = await startTestServer({ store });
    const s = server;
    const pub = s.account.publicKey;
    await postEvents(s, pub, [event({ fs_user_id: 'busy', email: 'busy@example.com' })]);
    const sent = 60;
    const sending = Array.from({ length: sent }, (_, i) =>
      postEvents(s, pub, [event(i % 2 ? { fs_user_id: 'busy' } : { email: 'busy@example.com', fs_user_id: 'busy' })]),
    );
    // The delete goes out while the posts are in flight.
    const deleting = adminDelete(s, 'fs_user_id', 'busy');
    const [deleted, ...posts] = await Promise.all([deleting, ...sending]);
    expect(posts.every((p) => p.status === 202)).toBe(true);
    expect(deleted.status).toBe(200);

    const q = new URLSearchParams({ key: 'fs_user_id', value: 'busy' });
    const after = await adminGet(s, s.account.privateKey, `/admin/v1/customers?${q}`);
    const remaining = after.status === 200 ? (after.json.event_count as number) : 0;
    // Every event went either with the deleted customer or to the one created after the delete, never both or none.
    expect(deleted.json.deleted.events + remaining).toBe(sent + 1);
    const st = await stats(s);
    expect(st.events).toBe(remaining);
    expect(st.customers).toBe(after.status === 200 ? 1 : 0);
    if (after.status === 200) {
      const byEmail = await adminGet(s, s.account.privateKey, '/admin/v1/customers?key=email&value=busy@example.com');
      // The email comes back only if an event carrying it arrived after the delete; if so, on the same customer.
      if (byEmail.status === 200) expect(byEmail.json.customer_id).toBe(after.json.customer_id);
    }
  });
});
