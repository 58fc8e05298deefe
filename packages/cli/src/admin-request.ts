import { defaults } from './env.js';
import { UsageError } from './usage-error.js';

/** An admin API answer: the parsed body, or the status with the server's reason in one printable message. */
export type AdminResult = { ok: true; body: unknown } | { ok: false; status: number; message: string };

/** Whether a private key was given, by flag or environment; the admin API needs one. */
export function privateKeyOf(flags: { privateKey?: string }): string | undefined {
  return flags.privateKey ?? defaults.privateKey();
}

/** One admin API call with the private key. */
export async function adminRequest(
  flags: { url: string; privateKey?: string },
  path: string,
  init: { method?: string; body?: string } = {},
): Promise<AdminResult> {
  const privateKey = privateKeyOf(flags);
  if (!privateKey) throw new UsageError('the private key is needed: --private-key K or ODPKIT_PRIVATE_KEY');
  const headers: Record<string, string> = { 'x-api-key': privateKey };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, flags.url), { method: init.method ?? 'GET', headers, body: init.body });
  const text = await res.text();
  if (!res.ok) return { ok: false, status: res.status, message: `${res.status} ${describeError(text)}` };
  return { ok: true, body: JSON.parse(text) };
}

/** Prints a failed admin call's status and reason on stderr; returns exit status 1. */
export function reportFailure(res: { message: string }): number {
  process.stderr.write(`${res.message}\n`);
  return 1;
}

export function describeError(text: string): string {
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
