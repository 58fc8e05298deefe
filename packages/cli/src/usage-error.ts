/**
 * A mistake in how the command was called (a bad flag value, a missing key): printed as one line naming the flag,
 * without a stack trace, and the process exits with status 2. Every other failure exits with status 1.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit statuses: 0 done, 1 the work failed (server said no, network down), 2 the command line was wrong. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
