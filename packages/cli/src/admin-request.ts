import { defaults } from './env.js';
import { UsageError } from './pairs.js';

export type AdminResult =
  | { ok: true; body: unknown }
  | { ok: false; status: number; fail: () => number; body?: undefined };

/**
 * One admin API call with the private key. A non-2xx answer becomes `fail()`, which prints the status and the
 * server's detail on stderr and returns exit status 1.
 */
export async function adminRequest(
  flags: { url: string; privateKey?: string },
  path: string,
  init: { method?: string; body?: string } = {},
): Promise<AdminResult> {
  const privateKey = flags.privateKey ?? defaults.privateKey();
  if (!privateKey) throw new UsageError('the private key is needed: --private-key K or ODPKIT_PRIVATE_KEY');
  const headers: Record<string, string> = { 'x-api-key': privateKey };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, flags.url), { method: init.method ?? 'GET', headers, body: init.body });
  const text = await res.text();
  if (!res.ok) {
    return {
      ok: false,
      status: res.status,
      fail: () => {
        process.stderr.write(`${res.status} ${describeError(text)}\n`);
        return 1;
      },
    };
  }
  return { ok: true, body: JSON.parse(text) };
}

function describeError(text: string): string {
  try {
    const body = JSON.parse(text) as { title?: string; detail?: unknown };
    const detail = body.detail as { message?: unknown; errors?: unknown } | string | undefined;
    if (typeof detail === 'string') return `${body.title ?? ''}: ${detail}`;
    const parts = [detail?.message, ...(Array.isArray(detail?.errors) ? detail.errors : [])].filter(Boolean);
    return `${body.title ?? ''}: ${parts.length ? parts.join('\n  ') : JSON.stringify(detail)}`;
  } catch {
    return text.slice(0, 500);
  }
}
