import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import {
  createTestSchema,
  describePg,
  killRightAfterAnswer,
  PG_URL,
  type ServerNode,
  startNode,
  twoNodesOnOneSchema,
} from './helpers/pg.js';
import { event, postEvents } from './helpers.js';

// SIGKILL of one of two nodes under load: a 202 is sent only after COMMIT, so every event either node acknowledged
// must be in the database afterwards, whatever the killed node was doing (transactions it had open are rolled back
// by PostgreSQL when its connections drop, and their batches were never acknowledged).
describePg('SIGKILL of one node of two on PostgreSQL', () => {
  const keys = { publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` };
  const cluster = twoNodesOnOneSchema(keys);

  it('keeps every event either node acknowledged', async () => {
    const [victim, survivor] = cluster.nodes;
    const acknowledged: string[] = [];
    let victimAcks = 0;
    let survivorAcksAfterKill = 0;
    let killed = false;
    // Kill the victim after its 200th acknowledged event, with other batches in flight on it; keep the survivor busy
    // until it has acknowledged 200 more events after the kill.
    const done = () => killed && survivorAcksAfterKill >= 200;
    const sender = async (node: ServerNode, s: number) => {
      for (let b = 0; !done(); b++) {
        // Overlapping identities across senders, so the killed node dies holding identity and customer locks too.
        const batch = Array.from({ length: 10 }, (_, i) =>
          event({ fs_user_id: `kill-${s}-${b}-${i}`, email: `shared-${(b + i) % 7}@kill.io` }),
        );
        let res: Awaited<ReturnType<typeof postEvents>>;
        try {
          res = await postEvents(node, keys.publicKey, batch);
        } catch {
          return; // the connection died with the process
        }
        if (res.status !== 202) continue;
        for (const e of batch) acknowledged.push(e.data.idempotence_id as string);
        if (node === victim) {
          victimAcks += batch.length;
          if (victimAcks >= 200 && !killed) {
            killed = true;
            victim.proc.kill('SIGKILL');
          }
        } else if (killed) survivorAcksAfterKill += batch.length;
      }
    };
    await Promise.all([
      ...Array.from({ length: 4 }, (_, s) => sender(victim, s)),
      ...Array.from({ length: 4 }, (_, s) => sender(survivor, 100 + s)),
    ]);
    expect(await victim.exited).toBe('SIGKILL');
    expect(survivorAcksAfterKill).toBeGreaterThanOrEqual(200);

    const stored = new Set(
      (await cluster.schema.query<{ id: string }>(`SELECT data::jsonb ->> 'idempotence_id' AS id FROM events`)).map(
        (r) => r.id,
      ),
    );
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    // And the graph the survivor kept writing is still whole: identities point at live customers only.
    expect(
      await cluster.schema.query(
        'SELECT i.* FROM identities i JOIN customers c ON c.id = i.customer_id WHERE c.merged_into IS NOT NULL',
      ),
    ).toEqual([]);
  });
});

describePg('a PostgreSQL commit held up by a lock', () => {
  it('gets no 202 until it has committed, and survives a SIGKILL right after its 202', async () => {
    const keys = { publicKey: `pk_${randomUUID()}`, privateKey: `sk_${randomUUID()}` };
    const schema = await createTestSchema();
    const node = await startNode(schema.url, keys);
    // Every group commit ends by adding to account_counters; a transaction elsewhere holding that table's lock keeps
    // the node's commit waiting, for real, with the rest of its transaction done.
    const side = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema.name}` });
    await side.connect();
    try {
      const warmUp = [event({ fs_user_id: 'held-warm-up' })];
      expect((await postEvents(node, keys.publicKey, warmUp)).status).toBe(202);
      await side.query('BEGIN');
      await side.query('LOCK TABLE account_counters IN EXCLUSIVE MODE');
      const batch = Array.from({ length: 5 }, (_, i) => event({ fs_user_id: `held-${i}` }));
      const { early, status } = await killRightAfterAnswer(
        node,
        () => postEvents(node, keys.publicKey, batch),
        async () => void (await side.query('ROLLBACK')),
      );
      expect(early, 'the node answered while its commit was blocked').toBe(false);
      expect(status).toBe(202);
      const stored = await schema.query<{ id: string }>(`SELECT data::jsonb ->> 'idempotence_id' AS id FROM events`);
      expect(stored.map((r) => r.id).sort()).toEqual([...warmUp, ...batch].map((e) => e.data.idempotence_id).sort());
    } finally {
      await side.end();
      await node.stop();
      await schema.drop();
    }
  });
});
