import type { Identity } from '../store/store.js';
import { isHighConfidence } from './identifiers.js';

/**
 * Identity stitching, written once against a small graph interface that a store implements inside its write
 * transaction (SQLite: better-sqlite3 statements, serialised by SQLite's single writer; PostgreSQL later: the same
 * steps after locking the touched identity rows). Customer ids are integers allocated in creation order, so "older"
 * is "smaller id".
 *
 * Rules (DESIGN §3):
 * 1. The customers owning the event's high-confidence identifiers are merged into the oldest of them, unless the two
 *    would both hold values of the same high-confidence type (e.g. two different fs_user_ids): then the merge is
 *    refused and recorded, and the younger customer stays as it is.
 * 2. With no high-confidence owner, an owner of the event's vuid adopts the event, unless the event brings a new value
 *    of a high-confidence type that customer already holds (a shared device must not give one person a second
 *    fs_user_id); then a new customer is created.
 * 3. The event is attributed to that customer (the target). New values are added to it, at most MAX_VALUES_PER_TYPE
 *    per type; a vuid owned by another customer moves to the target instead of bridging the two.
 */

export const MAX_VALUES_PER_TYPE = 25;

export type CustomerId = number;

export interface IdentityGraphTx {
  ownerOf(type: string, value: string): CustomerId | null;
  /** type → values held by the customer. */
  identifiersOf(customer: CustomerId): Map<string, string[]>;
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

/** The first high-confidence type both customers hold, or null when merging them is allowed. */
function conflictingType(a: Map<string, string[]>, b: Map<string, string[]>): string | null {
  for (const [type, values] of b) {
    if (values.length > 0 && isHighConfidence(type) && (a.get(type)?.length ?? 0) > 0) return type;
  }
  return null;
}

function absorb(into: Map<string, string[]>, from: Map<string, string[]>): void {
  for (const [type, values] of from) {
    const list = into.get(type);
    if (list) list.push(...values);
    else into.set(type, [...values]);
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
  const highOwners = new Set<CustomerId>();
  const lowOwners = new Set<CustomerId>();
  identities.forEach((id, i) => {
    const owner = owners[i];
    if (owner == null) return;
    (isHighConfidence(id.type) ? highOwners : lowOwners).add(owner);
  });

  let target: CustomerId | null = null;
  // Loaded lazily: the common event (one known fs_user_id, nothing new) never needs the target's identity list.
  let targetIds: Map<string, string[]> | null = null;

  // Rule 1: merge the high-confidence owners into the oldest one.
  if (highOwners.size > 0) {
    const [oldest, ...rest] = [...highOwners].sort((a, b) => a - b) as [CustomerId, ...CustomerId[]];
    target = oldest;
    if (rest.length > 0) targetIds = graph.identifiersOf(oldest);
    for (const other of rest) {
      const otherIds = graph.identifiersOf(other);
      const conflict = conflictingType(targetIds!, otherIds);
      if (conflict !== null) {
        graph.recordRefusedMerge(target, other, conflict);
        result.refusedMerges++;
        continue;
      }
      graph.merge(other, target);
      absorb(targetIds!, otherIds);
      lowOwners.delete(other);
      result.merges++;
    }
  }

  // Rule 2: no high-confidence owner: a vuid owner adopts the event if that gives nobody a second identity.
  if (target === null) {
    const newHighTypes = identities
      .filter((id, i) => owners[i] == null && isHighConfidence(id.type))
      .map((id) => id.type);
    for (const candidate of [...lowOwners].sort((a, b) => a - b)) {
      const ids = graph.identifiersOf(candidate);
      if (!newHighTypes.some((type) => (ids.get(type)?.length ?? 0) > 0)) {
        target = candidate;
        targetIds = ids;
        break;
      }
    }
  }
  if (target === null) {
    target = graph.createCustomer();
    targetIds = new Map();
    result.customersCreated++;
  }
  const customer = target;

  // Rule 3: give the target the event's values; vuids held elsewhere move here.
  identities.forEach((id, i) => {
    const owner = owners[i];
    if (owner === customer || (owner != null && isHighConfidence(id.type))) return; // already here, or refused above
    if (targetIds === null) targetIds = graph.identifiersOf(customer);
    const held = targetIds.get(id.type) ?? [];
    if (owner != null && held.includes(id.value)) return; // arrived with a merge
    if (held.length >= MAX_VALUES_PER_TYPE) {
      result.capped++;
      return;
    }
    if (owner == null) graph.addIdentity(customer, id.type, id.value);
    else {
      graph.moveIdentity(id.type, id.value, customer);
      result.vuidMoves++;
    }
    held.push(id.value);
    targetIds.set(id.type, held);
  });

  result.customer = target;
  return result;
}
