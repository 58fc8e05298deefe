/** The admin API as the console calls it: the private key as a Bearer token, errors in the server's one shape. */

export interface ErrorBody {
  title?: string;
  status?: number;
  detail?: { message?: string; errors?: string[]; invalids?: { event: number; message: string }[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | null,
  ) {
    super(body?.detail?.message ?? body?.title ?? `HTTP ${status}`);
  }

  /** Per-problem messages (validation), or the message alone. */
  get problems(): string[] {
    return this.body?.detail?.errors ?? [this.message];
  }
}

const KEY_STORAGE = 'odpkit.console.key';

/** The key lives in sessionStorage: this tab only, gone when it closes. */
export const session = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

export type Api = <T>(method: string, path: string, body?: unknown, signal?: AbortSignal) => Promise<T>;

export function apiWith(key: string, onUnauthorized: () => void): Api {
  return async <T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      signal: signal ?? null,
    });
    if (res.status === 204) return undefined as T;
    const parsed: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      if (res.status === 401) onUnauthorized();
      throw new ApiError(res.status, parsed as ErrorBody | null);
    }
    return parsed as T;
  };
}

export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return q.toString();
}
