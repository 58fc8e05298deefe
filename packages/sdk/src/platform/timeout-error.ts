/** What transports reject with when requestTimeout passes; the dispatcher treats it like any network error (retry). */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(ms: number) {
    super(`request timed out after ${ms} ms`);
  }
}
