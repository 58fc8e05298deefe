import type { SegmentsFailure, SegmentsResult } from './result.js';
import { userKeyFor } from './user-key.js';

/** What a user context needs from its client: one method, so the context holds no reference to the rest. */
export type FetchSegments = (
  user: { key: string; value: string },
  options: readonly string[],
) => Promise<SegmentsResult>;

/**
 * A user as the Feature Experimentation SDKs see one: an id, attributes, and the ODP segments it qualifies for
 * once they have been fetched. `qualifiedSegments` is null until a fetch succeeds (or the application sets it),
 * so "not fetched" and "in no segment" stay distinct.
 */
export class OdpUserContext {
  readonly userId: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  #segments: string[] | null = null;
  #lastError: SegmentsFailure | null = null;
  readonly #fetch: FetchSegments;

  constructor(userId: string, attributes: Record<string, unknown>, fetch: FetchSegments) {
    this.userId = userId;
    this.attributes = Object.freeze({ ...attributes });
    this.#fetch = fetch;
  }

  /** The identifier key segments are asked by: `vuid` for a `vuid_…` id, else `fs_user_id`. */
  get userKey(): 'vuid' | 'fs_user_id' {
    return userKeyFor(this.userId);
  }

  get qualifiedSegments(): string[] | null {
    return this.#segments === null ? null : [...this.#segments];
  }

  set qualifiedSegments(segments: readonly string[] | null) {
    this.#segments = segments === null ? null : [...segments];
  }

  /** Why the last fetch failed, or null after a success (and before any fetch). */
  get lastSegmentsError(): SegmentsFailure | null {
    return this.#lastError;
  }

  isQualifiedFor(segment: string): boolean {
    return this.#segments?.includes(segment) ?? false;
  }

  /**
   * Fetches (or reads from the cache) the segments this user qualifies for. Resolves true on success; on failure it
   * resolves false, leaves `qualifiedSegments` null and keeps the reason in `lastSegmentsError`. Never rejects.
   */
  async fetchQualifiedSegments(options: readonly string[] = []): Promise<boolean> {
    const result = await this.#fetch({ key: this.userKey, value: this.userId }, options);
    if (result.ok) {
      this.#segments = result.segments;
      this.#lastError = null;
      return true;
    }
    this.#segments = null;
    this.#lastError = result;
    return false;
  }
}
