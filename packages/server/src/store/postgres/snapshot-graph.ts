import { type CustomerId, type IdentityGraphTx, MAX_IDENTIFIERS_PER_CUSTOMER } from '../../ingest/stitch.js';

/**
 * The identity graph of one group commit, held in memory. stitch() is synchronous and written once for every store;
 * PostgreSQL is reached over the network, so the transaction first locks and loads everything stitch() can look at
 * (the owners of the group's identities and those owners' bounded per-type counts, see ingest.ts), stitch() runs
 * against this snapshot, and the changes it made are then written back in a few set-based statements.
 *
 * The snapshot knows the owner of every identity the group carries, and only counts for the rest of a customer's
 * identities: a merge is written back as "every identity of customer X now belongs to Y", not row by row, so a merge
 * never needs the merged customer's values in memory.
 *
 * Customers created here get temporary ids above any real id, in creation order, so stitch()'s "older = smaller id"
 * rule still holds; real ids are allocated from the sequence, in the same order, when the changes are written.
 */

export const FIRST_TEMP_ID = 2 ** 52;

/** An identity's key in the snapshot: account, then a length prefix so no (type, value) pair can alias another. */
export function identityKey(account: string, type: string, value: string): string {
  return `${account}|${type.length}:${type}${value}`;
}

export interface IdentityRef {
  account: string;
  type: string;
  value: string;
}

/** An identity of the group whose owner in the database must change. */
export interface OwnerChange extends IdentityRef {
  customer: CustomerId;
  isNew: boolean;
}

export interface SnapshotChanges {
  /** Temporary ids of created customers, in creation order, with their account and creation time. */
  created: { temp: CustomerId; account: string; at: number }[];
  /** merged customer → the customer it now redirects to (chains resolved to the surviving root). */
  mergedInto: Map<CustomerId, CustomerId>;
  merges: { account: string; from: CustomerId; into: CustomerId; at: number }[];
  refused: { account: string; kept: CustomerId; refused: CustomerId; type: string; at: number }[];
}

export class SnapshotGraph {
  private readonly refs = new Map<string, IdentityRef>();
  private readonly owners = new Map<string, CustomerId>();
  private readonly initialOwners = new Map<string, CustomerId>();
  /** The group's identities each customer owns right now (keys into `owners`). */
  private readonly keysOf = new Map<CustomerId, Set<string>>();
  /** Per-type counts of every customer stitch() may ask about (see loadIdentityCounts); typesOf is their keys. */
  private readonly counts = new Map<CustomerId, Map<string, number>>();
  private nextTemp = FIRST_TEMP_ID;
  readonly changes: SnapshotChanges = { created: [], mergedInto: new Map(), merges: [], refused: [] };

  /** Records the database's owner of an identity (every identity the group touches must be given, owned or not). */
  setOwner(ref: IdentityRef, owner: CustomerId | null): void {
    const key = identityKey(ref.account, ref.type, ref.value);
    this.refs.set(key, ref);
    if (owner !== null) {
      this.owners.set(key, owner);
      this.initialOwners.set(key, owner);
      this.keySet(owner).add(key);
    }
  }

  /** Records a locked owner's per-type counts. */
  setCounts(customer: CustomerId, counts: Map<string, number>): void {
    this.counts.set(customer, counts);
  }

  /** The graph stitch() sees for one account and one moment. */
  forAccount(account: string, at: number): IdentityGraphTx {
    return {
      ownerOf: (type, value) => this.owners.get(identityKey(account, type, value)) ?? null,
      countOf: (customer, type) => this.countsOf(customer).get(type) ?? 0,
      totalOf: (customer) => {
        let n = 0;
        for (const v of this.countsOf(customer).values()) n += v;
        return Math.min(n, MAX_IDENTIFIERS_PER_CUSTOMER + 1);
      },
      typesOf: (customer) => {
        const types = new Set<string>();
        for (const [type, n] of this.countsOf(customer)) if (n > 0) types.add(type);
        return types;
      },
      createCustomer: () => {
        const temp = this.nextTemp++;
        this.counts.set(temp, new Map());
        this.changes.created.push({ temp, account, at });
        return temp;
      },
      addIdentity: (customer, type, value) => {
        const key = identityKey(account, type, value);
        this.refs.set(key, { account, type, value });
        this.own(key, customer, type);
      },
      moveIdentity: (type, value, to) => {
        const key = identityKey(account, type, value);
        const from = this.owners.get(key);
        if (from !== undefined) {
          this.keysOf.get(from)?.delete(key);
          this.bump(from, type, -1);
        }
        this.own(key, to, type);
      },
      merge: (from, into) => {
        for (const key of this.keysOf.get(from) ?? []) {
          this.owners.set(key, into);
          this.keySet(into).add(key);
        }
        this.keysOf.delete(from);
        const target = this.countsOf(into);
        for (const [type, n] of this.countsOf(from)) target.set(type, (target.get(type) ?? 0) + n);
        this.counts.set(from, new Map());
        // Keep redirects one hop deep, as the database does after re-pointing.
        for (const [m, root] of this.changes.mergedInto) if (root === from) this.changes.mergedInto.set(m, into);
        this.changes.mergedInto.set(from, into);
        this.changes.merges.push({ account, from, into, at });
      },
      recordRefusedMerge: (kept, refused, type) => {
        this.changes.refused.push({ account, kept, refused, type, at });
      },
    };
  }

  /** The customer an event attributed to `c` belongs to once every merge of the group is applied. */
  rootOf(c: CustomerId): CustomerId {
    return this.changes.mergedInto.get(c) ?? c;
  }

  /**
   * The group's identities whose row must be inserted or re-pointed. A row still owned by a customer merged in this
   * group is left out when its final owner is that merge's root: the customer-wide merge update moves it.
   */
  ownerChanges(): Map<string, OwnerChange> {
    const out = new Map<string, OwnerChange>();
    for (const [key, customer] of this.owners) {
      const initial = this.initialOwners.get(key);
      if (initial !== undefined && this.rootOf(initial) === customer) continue;
      out.set(key, { ...(this.refs.get(key) as IdentityRef), customer, isNew: initial === undefined });
    }
    return out;
  }

  private countsOf(customer: CustomerId): Map<string, number> {
    const c = this.counts.get(customer);
    // stitch() only asks about owners (loaded and locked) and customers it created; anything else is a locking bug.
    if (c === undefined) throw new Error(`customer ${customer} was not loaded into the identity snapshot`);
    return c;
  }

  private keySet(customer: CustomerId): Set<string> {
    let set = this.keysOf.get(customer);
    if (!set) {
      set = new Set();
      this.keysOf.set(customer, set);
    }
    return set;
  }

  private own(key: string, customer: CustomerId, type: string): void {
    this.owners.set(key, customer);
    this.keySet(customer).add(key);
    this.bump(customer, type, 1);
  }

  private bump(customer: CustomerId, type: string, by: number): void {
    const c = this.countsOf(customer);
    c.set(type, (c.get(type) ?? 0) + by);
  }
}
