import { readFile } from 'node:fs/promises';
import { createOdpClient } from '@odpkit/sdk';
import { adminRequest } from '../admin-request.js';
import { defaults } from '../env.js';
import { parsePair, UsageError } from '../pairs.js';

export interface ApplyFlags {
  url: string;
  privateKey?: string;
  replace?: boolean;
}

/** `odpkit segments apply FILE`: create or replace the file's definitions (and with --replace delete the rest). */
export async function applySegments(file: string, flags: ApplyFlags): Promise<number> {
  let body: unknown;
  try {
    body = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  const res = await adminRequest(flags, `/admin/v1/segments/apply${flags.replace ? '?replace=true' : ''}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!res.ok) return res.fail();
  const r = res.body as Record<string, string[] | undefined>;
  for (const what of ['created', 'updated', 'unchanged', 'deleted'] as const) {
    const names = r[what] ?? [];
    if (names.length) process.stdout.write(`${what}: ${names.join(', ')}\n`);
  }
  return 0;
}

/** `odpkit segments list`: the account's definitions. */
export async function listSegments(flags: { url: string; privateKey?: string; json?: boolean }): Promise<number> {
  const res = await adminRequest(flags, '/admin/v1/segments');
  if (!res.ok) return res.fail();
  const { segments } = res.body as { segments: Array<{ name: string; description?: string; condition: unknown }> };
  if (flags.json) process.stdout.write(`${JSON.stringify(segments, null, 2)}\n`);
  else for (const s of segments) process.stdout.write(`${s.name}${s.description ? `  ${s.description}` : ''}\n`);
  return 0;
}

export interface CheckFlags {
  url: string;
  apiKey?: string;
  privateKey?: string;
  segments?: string;
  timeout: string;
}

/**
 * `odpkit segments check key=value`: asks through @odpkit/sdk, exactly as an application would, which of the
 * segments the customer qualifies for. Without --segments, the account's defined segments are asked (that list
 * needs the private key).
 */
export async function checkSegments(pair: string, flags: CheckFlags): Promise<number> {
  const [key, value] = parsePair(pair, 'identifier');
  const apiKey = flags.apiKey ?? defaults.publicKey();
  if (!apiKey) throw new UsageError('an API key is needed: --api-key K or ODPKIT_PUBLIC_KEY');
  let names: string[];
  if (flags.segments !== undefined) {
    names = flags.segments
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  } else {
    if (!(flags.privateKey ?? defaults.privateKey())) {
      throw new UsageError('give --segments a,b (or the private key, to ask every segment the account defines)');
    }
    const res = await adminRequest(flags, '/admin/v1/segments');
    if (!res.ok) return res.fail();
    names = (res.body as { segments: Array<{ name: string }> }).segments.map((s) => s.name);
  }
  if (names.length === 0) throw new UsageError('no segments to check');
  const timeout = Number(flags.timeout);
  const client = createOdpClient({
    odp: { apiKey, apiHost: flags.url.replace(/\/+$/, ''), segmentsToCheck: names },
    segmentsRequestTimeout: Number.isFinite(timeout) && timeout > 0 ? timeout : 10_000,
    logLevel: 'silent',
  });
  try {
    const result = await client.fetchQualifiedSegments({ key, value });
    if (!result.ok) {
      process.stderr.write(`segments not fetched (${result.reason}): ${result.message}\n`);
      return 1;
    }
    for (const name of names) {
      process.stdout.write(`${result.segments.includes(name) ? 'qualified    ' : 'not qualified'}  ${name}\n`);
    }
    return 0;
  } finally {
    await client.close();
  }
}
