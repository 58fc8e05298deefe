import type { CustomerId, IdentityGraphTx } from '../../ingest/stitch.js';

/**
 * The identity graph of one group commit, held in memory. stitch() is synchronous and written once for every store;
 * PostgreSQL is reached over the network, so the transaction first locks and loads everything stitch() can look at
 * (the owners of the group's identities and those owners' identifiers, see ingest.ts), stitch() runs against this
 * snapshot, and the changes it made are then written back in a few set-based statements.
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

export interface SnapshotChanges {
  /** Temporary ids of created customers, in creation order, with their account and creation time. */
  created: { temp: CustomerId; account: string; at: number }[];
  /** Identities whose owner differs from the database's, with the final owner. */
  owned: Map<string, IdentityRef & { customer: CustomerId; isNew: boolean }>;
  /** merged customer → the customer it now redirects to (chains resolved to the surviving root). */
  mergedInto: Map<CustomerId, CustomerId>;
  merges: { account: string; from: CustomerId; into: CustomerId; at: number }[];
  refused: { account: string; kept: CustomerId; refused: CustomerId; type: string; at: number }[];
}

export class SnapshotGraph {
  private readonly owners = new Map<string, CustomerId>();
  private readonly initialOwners = new Map<string, CustomerId>();
  private readonly held = new Map<CustomerId, Map<string, string[]>>();
  private nextTemp = FIRST_TEMP_ID;
  readonly changes: SnapshotChanges = { created: [], owned: new Map(), mergedInto: new Map(), merges: [], refused: [] };

  /** Records the database's owner of an identity (every identity the group touches must be given, owned or not). */
  setOwner(ref: IdentityRef, owner: CustomerId | null): void {
    const key = identityKey(ref.account, ref.type, ref.value);
    if (owner !== null) {
      this.owners.set(key, owner);
      this.initialOwners.set(key, owner);
    }
  }

  /**
   * Records every identifier a locked customer holds, in the database's order. Their owner is recorded too: a merge
   * moves identifiers that no event of the group carries, and writing them back needs to know they already exist.
   */
  setIdentifiers(customer: CustomerId, account: string, ids: Map<string, string[]>): void {
    this.held.set(customer, ids);
    for (const [type, values] of ids) {
      for (const value of values) {
        const key = identityKey(account, type, value);
        this.owners.set(key, customer);
        this.initialOwners.set(key, customer);
      }
    }
  }

  /** The graph stitch() sees for one account and one moment. */
  forAccount(account: string, at: number): IdentityGraphTx {
    return {
      ownerOf: (type, value) => this.owners.get(identityKey(account, type, value)) ?? null,
      identifiersOf: (customer) => this.copyOf(customer),
      createCustomer: () => {
        const temp = this.nextTemp++;
        this.held.set(temp, new Map());
        this.changes.created.push({ temp, account, at });
        return temp;
      },
      addIdentity: (customer, type, value) => {
        this.assign(identityKey(account, type, value), { account, type, value }, customer);
        this.push(customer, type, value);
      },
      moveIdentity: (type, value, to) => {
        const key = identityKey(account, type, value);
        const from = this.owners.get(key);
        if (from !== undefined) this.remove(from, type, value);
        this.assign(key, { account, type, value }, to);
        this.push(to, type, value);
      },
      merge: (from, into) => {
        for (const [type, values] of this.heldBy(from)) {
          for (const value of values) {
            this.assign(identityKey(account, type, value), { account, type, value }, into);
            this.push(into, type, value);
          }
        }
        this.held.set(from, new Map());
        // Keep redirects one hop deep, as the database does after re-pointing.
        for (const [m, target] of this.changes.mergedInto) if (target === from) this.changes.mergedInto.set(m, into);
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

  private heldBy(customer: CustomerId): Map<string, string[]> {
    const ids = this.held.get(customer);
    // stitch() only asks about owners (loaded and locked) and customers it created; anything else is a locking bug.
    if (ids === undefined) throw new Error(`customer ${customer} was not loaded into the identity snapshot`);
    return ids;
  }

  /** A copy: stitch() appends to the lists it is given, and those appends must not leak into the snapshot. */
  private copyOf(customer: CustomerId): Map<string, string[]> {
    const copy = new Map<string, string[]>();
    for (const [type, values] of this.heldBy(customer)) copy.set(type, [...values]);
    return copy;
  }

  private assign(key: string, ref: IdentityRef, customer: CustomerId): void {
    this.owners.set(key, customer);
    const initial = this.initialOwners.get(key);
    if (initial === customer) this.changes.owned.delete(key);
    else this.changes.owned.set(key, { ...ref, customer, isNew: initial === undefined });
  }

  private push(customer: CustomerId, type: string, value: string): void {
    const ids = this.heldBy(customer);
    const list = ids.get(type);
    if (list) list.push(value);
    else ids.set(type, [value]);
  }

  private remove(customer: CustomerId, type: string, value: string): void {
    const list = this.held.get(customer)?.get(type);
    if (!list) return;
    const i = list.indexOf(value);
    if (i >= 0) list.splice(i, 1);
  }
}
