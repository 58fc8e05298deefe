// What a store offers for segment state (both drivers implement it; see src/store/*/segment-state.ts).

import type { LeafSpec } from './leaf.js';
import type { LeafState } from './leaf-state.js';

/** One leaf of the account, with this customer's state (null: no matching event). */
export interface LeafStateRow {
  key: string;
  /** false while the rebuild has not yet counted the stored history: the state is then incomplete. */
  ready: boolean;
  state: LeafState | null;
}

/** How far a leaf's rebuild has got, in stored event ids scanned out of the ids to scan. */
export interface LeafProgress {
  key: string;
  ready: boolean;
  scanned: number;
  total: number;
}

/** A leaf row as both stores keep it (PostgreSQL returns bigints as strings). */
export interface LeafBuildRow {
  key: string;
  status: string;
  build_start: number | string;
  build_cursor: number | string;
  build_upto: number | string;
}

export function leafProgress(r: LeafBuildRow): LeafProgress {
  return {
    key: r.key,
    ready: r.status === 'ready',
    scanned: Number(r.build_cursor) - Number(r.build_start),
    total: Number(r.build_upto) - Number(r.build_start),
  };
}

export interface BuildStep {
  /** false: nothing left to build; the caller may wait for the next definition change. */
  pending: boolean;
  /** The leaves this step advanced. */
  progress: (LeafProgress & { accountId: string })[];
}

export interface SegmentStateSource {
  /**
   * Makes the segment use exactly these leaves, if its stored definition is still the one last written at
   * `updatedAt` (so a node that read an older definition cannot undo a newer one's leaves). Leaves the account
   * lacks are created `building`; leaves no segment uses any more are deleted. Returns false when the definition
   * changed or is gone.
   */
  linkSegmentLeaves(accountId: string, name: string, updatedAt: number, leaves: LeafSpec[]): Promise<boolean>;
  /** Every leaf of the account with the customer's state: one stored row read, whatever the history. */
  segmentState(accountId: string, customerId: string): Promise<LeafStateRow[]>;
  segmentStateProgress(accountId: string): Promise<LeafProgress[]>;
  /** One small rebuild transaction over at most `maxEvents` stored events. */
  buildSegmentState(maxEvents: number): Promise<BuildStep>;
}
