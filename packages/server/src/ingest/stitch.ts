import type { Identity } from '../store/store.js';
import { isHighConfidence, PERSON_TYPE } from './identifiers.js';

/**
 * Identity stitching, written once against a small graph interface that a store implements inside its write
 * transaction (SQLite: statements on the writer connection; PostgreSQL: an in-memory snapshot of the locked rows).
 * Customer ids are integers allocated in creation order, so "older" is "smaller id".
 *
 * The invariants: a customer never holds two different fs_user_ids (an fs_user_id is one person; a person may have
 * several emails), whatever order events arrive in; and two customers that each hold a value of one high-confidence
 * type (fs_user_id, email, a custom key) are never merged.
 *
 * Rules:
 * 1. The customers owning the event's high-confidence values are the candidates. When the event carries an
 *    fs_user_id, a candidate holding a different fs_user_id is another person: it keeps everything it owns (the
 *    shared email stays with it), a refused merge is recorded, and the event does not go there.
 * 2. The event's customer is the owner of its fs_user_id; without one, the oldest remaining candidate. The other
 *    remaining candidates are merged with it (the older one survives), unless both hold a value of the same
 *    high-confidence type (two fs_user_ids, two emails, two values of one custom key: two customers that each were
 *    somebody may be two people sharing an identifier, so one event must not fuse them), or the merged customer would
 *    hold more than MAX_IDENTIFIERS_PER_CUSTOMER values: then the merge is refused and recorded with that type (the
 *    cap with CAP_REFUSAL), that candidate keeps everything it owns, and the event stays with the event's customer.
 * 3. With no candidate left, an owner of the event's vuid adopts the event, unless the event brings a new value of a
 *    high-confidence type that customer already holds (a shared device must not give one person a second
 *    fs_user_id); otherwise a new customer is created.
 * 4. The event is attributed to that customer. Its new values are added, at most one fs_user_id, at most
 *    MAX_VALUES_PER_TYPE values of any other type and MAX_IDENTIFIERS_PER_CUSTOMER in all; a value over a cap is not
 *    attached and is counted as capped. A vuid owned by another customer moves here instead of bridging the two.
 *
 * Stitching reads only the owners of the event's own values and bounded reads of a customer (countOf, totalOf and
 * typesOf never need more than MAX_IDENTIFIERS_PER_CUSTOMER + 1 rows), never a customer's whole identity set.
 */

export const MAX_VALUES_PER_TYPE = 25;

/**
 * Identity values one customer may hold across all types. A real person has a handful (an fs_user_id, a few emails,
 * some devices and system ids); the limit exists because every value is a row that merges move and profiles list:
 * without it, one event of distinct custom keys gave one customer 100,001 identities. It also bounds every count
 * stitching makes.
 */
export const MAX_IDENTIFIERS_PER_CUSTOMER = 100;

/** The `type` recorded for a merge refused because of MAX_IDENTIFIERS_PER_CUSTOMER (no identity type is empty). */
export const CAP_REFUSAL = '';

export type CustomerId = number;

export interface IdentityGraphTx {
  ownerOf(type: string, value: string): CustomerId | null;
  /**
   * Values of `type` among the customer's first MAX_IDENTIFIERS_PER_CUSTOMER + 1 identities in type order: exact for
   * any customer within the cap, and bounded for one over it (whose total already refuses anything new).
   */
  countOf(customer: CustomerId, type: string): number;
  /** Identities the customer holds, counted up to MAX_IDENTIFIERS_PER_CUSTOMER + 1. */
  totalOf(customer: CustomerId): number;
  /**
   * The distinct types among the customer's first MAX_IDENTIFIERS_PER_CUSTOMER + 1 identities in type order: every
   * type of a customer within the cap; for one over it, some of them (its total refuses a merge anyway).
   */
  typesOf(customer: CustomerId): ReadonlySet<string>;
  createCustomer(): CustomerId;
  addIdentity(customer: CustomerId, type: string, value: string): void;
  moveIdentity(type: string, value: string, to: CustomerId): void;
  /** Moves every identity and event of `from` to `into` and records the merge. */
  merge(from: CustomerId, into: CustomerId): void;
  recordRefusedMerge(kept: CustomerId, refused: CustomerId, type: string): void;
}

export interface StitchResult {
  customer: CustomerId | null;
  customersCreated: number;
  merges: number;
  refusedMerges: number;
  vuidMoves: number;
  capped: number;
}

/** How many values of a type one customer may hold. */
export function maxValuesOf(type: string): number {
  return type === PERSON_TYPE ? 1 : MAX_VALUES_PER_TYPE;
}

/**
 * Why two customers may not become one, or null when they may: the high-confidence type both hold a value of
 * (fs_user_id first, else the smallest such type, so the recorded reason does not depend on a store's read order), or
 * CAP_REFUSAL when together they would hold more than MAX_IDENTIFIERS_PER_CUSTOMER values.
 */
function mergeConflict(graph: IdentityGraphTx, a: CustomerId, b: CustomerId): string | null {
  const typesOfA = graph.typesOf(a);
  const shared = [...graph.typesOf(b)].filter((type) => isHighConfidence(type) && typesOfA.has(type));
  if (shared.includes(PERSON_TYPE)) return PERSON_TYPE;
  if (shared.length > 0) return shared.sort()[0] as string;
  if (graph.totalOf(a) + graph.totalOf(b) > MAX_IDENTIFIERS_PER_CUSTOMER) return CAP_REFUSAL;
  return null;
}

/** The event's customer's counts, read once and then kept up to date as values are added. */
class TargetCounts {
  private total: number | null = null;
  private readonly perType = new Map<string, number>();

  constructor(
    private readonly graph: IdentityGraphTx,
    private readonly customer: CustomerId,
    /** Created for this event: it holds nothing yet, so nothing needs reading. */
    private readonly fresh: boolean,
  ) {
    if (fresh) this.total = 0;
  }

  fits(type: string): boolean {
    this.total ??= this.graph.totalOf(this.customer);
    if (this.total >= MAX_IDENTIFIERS_PER_CUSTOMER) return false;
    let n = this.perType.get(type);
    if (n === undefined) {
      n = this.fresh ? 0 : this.graph.countOf(this.customer, type);
      this.perType.set(type, n);
    }
    return n < maxValuesOf(type);
  }

  /** Called after fits(type) said yes and the value was attached. */
  added(type: string): void {
    this.total = (this.total as number) + 1;
    this.perType.set(type, (this.perType.get(type) as number) + 1);
  }
}

export function stitch(graph: IdentityGraphTx, identities: Identity[]): StitchResult {
  const result: StitchResult = {
    customer: null,
    customersCreated: 0,
    merges: 0,
    refusedMerges: 0,
    vuidMoves: 0,
    capped: 0,
  };
  if (identities.length === 0) return result;

  const owners = identities.map((id) => graph.ownerOf(id.type, id.value));
  const personAt = identities.findIndex((id) => id.type === PERSON_TYPE);
  const bringsPerson = personAt >= 0;
  const personOwner = bringsPerson ? (owners[personAt] ?? null) : null;
  const highOwners = new Set<CustomerId>();
  const lowOwners = new Set<CustomerId>();
  identities.forEach((id, i) => {
    const owner = owners[i];
    if (owner == null) return;
    (isHighConfidence(id.type) ? highOwners : lowOwners).add(owner);
  });

  // Rule 1: candidates that are another person are refused (recorded once the event's customer is known).
  const otherPeople: CustomerId[] = [];
  const candidates: CustomerId[] = [];
  for (const c of [...highOwners].sort((a, b) => a - b)) {
    if (bringsPerson && c !== personOwner && graph.countOf(c, PERSON_TYPE) > 0) otherPeople.push(c);
    else candidates.push(c);
  }

  // Rule 2: the fs_user_id's owner, or the oldest candidate, absorbs the other candidates it may absorb.
  let target: CustomerId | null = personOwner ?? candidates[0] ?? null;
  /** Customers whose identities are now the target's (the target itself, and every customer merged with it). */
  const here = new Set<CustomerId>();
  const refusals: [CustomerId, string][] = otherPeople.map((c) => [c, PERSON_TYPE]);
  if (target !== null) {
    let root: CustomerId = target;
    here.add(root);
    for (const other of candidates) {
      if (here.has(other)) continue;
      const conflict = mergeConflict(graph, root, other);
      if (conflict !== null) {
        refusals.push([other, conflict]);
        continue;
      }
      const into: CustomerId = Math.min(root, other);
      graph.merge(into === root ? other : root, into);
      root = into;
      here.add(other);
      lowOwners.delete(other);
      result.merges++;
    }
    target = root;
  }

  // Rule 3: no candidate: a vuid owner adopts the event if that gives nobody a second value of a type it holds.
  let isNew = false;
  if (target === null) {
    const newHighTypes = identities
      .filter((id, i) => owners[i] == null && isHighConfidence(id.type))
      .map((id) => id.type);
    for (const candidate of [...lowOwners].sort((a, b) => a - b)) {
      if (!newHighTypes.some((type) => graph.countOf(candidate, type) > 0)) {
        target = candidate;
        break;
      }
    }
  }
  if (target === null) {
    target = graph.createCustomer();
    isNew = true;
    result.customersCreated++;
  }
  here.add(target);
  const customer = target;
  for (const [other, type] of refusals) {
    graph.recordRefusedMerge(customer, other, type);
    result.refusedMerges++;
  }

  // Rule 4: give the customer the event's new values; vuids held elsewhere move here.
  const counts = new TargetCounts(graph, customer, isNew);
  identities.forEach((id, i) => {
    const owner = owners[i] ?? null;
    if (owner !== null && (here.has(owner) || isHighConfidence(id.type))) return; // already here, or refused above
    if (!counts.fits(id.type)) {
      result.capped++;
      return;
    }
    if (owner === null) graph.addIdentity(customer, id.type, id.value);
    else {
      graph.moveIdentity(id.type, id.value, customer);
      result.vuidMoves++;
    }
    counts.added(id.type);
  });

  result.customer = customer;
  return result;
}
