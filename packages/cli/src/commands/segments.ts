import { readFile } from 'node:fs/promises';
import { createOdpClient } from '@odpkit/sdk';
import { fetchQualifiedSegments } from '@odpkit/sdk/segments';
import { adminRequest, privateKeyOf, reportFailure } from '../admin-request.js';
import { defaults } from '../env.js';
import { parsePair } from '../pairs.js';
import { UsageError } from '../usage-error.js';

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
  if (!res.ok) return reportFailure(res);
  const r = res.body as Record<string, string[] | undefined>;
  for (const what of ['created', 'updated', 'unchanged', 'deleted'] as const) {
    const names = r[what] ?? [];
    if (names.length) process.stdout.write(`${what}: ${names.join(', ')}\n`);
  }
  return 0;
}

interface SegmentDefinition {
  name: string;
  description?: string;
  condition: unknown;
}

async function definedSegments(flags: { url: string; privateKey?: string }) {
  const res = await adminRequest(flags, '/admin/v1/segments');
  return res.ok ? { ok: true as const, segments: (res.body as { segments: SegmentDefinition[] }).segments } : res;
}

/** `odpkit segments list`: the account's definitions. */
export async function listSegments(flags: { url: string; privateKey?: string; json?: boolean }): Promise<number> {
  const res = await definedSegments(flags);
  if (!res.ok) return reportFailure(res);
  if (flags.json) process.stdout.write(`${JSON.stringify(res.segments, null, 2)}\n`);
  else for (const s of res.segments) process.stdout.write(`${s.name}${s.description ? `  ${s.description}` : ''}\n`);
  return 0;
}

export interface CheckFlags {
  /** Already checked to be an http(s) URL. */
  url: string;
  apiKey?: string;
  privateKey?: string;
  segments?: string;
  timeout: number;
}

/**
 * `odpkit segments check key=value`: asks through @odpkit/sdk, exactly as an application would, which of the
 * segments the customer qualifies for. Without --segments, every segment the account defines is asked (listing them
 * needs the private key).
 *
 * The server answers "not qualified" for a segment it does not define, so a misspelt name would look like a real
 * answer. With the private key the names are checked against the definitions and each unknown one is warned about
 * on stderr; with only the public key the names cannot be listed, and stderr says they were not checked.
 */
export async function checkSegments(pair: string, flags: CheckFlags): Promise<number> {
  const [key, value] = parsePair(pair, 'identifier');
  const apiKey = flags.apiKey ?? defaults.publicKey();
  if (!apiKey) throw new UsageError('an API key is needed: --api-key K or ODPKIT_PUBLIC_KEY');
  const asked = flags.segments
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (asked !== undefined && asked.length === 0) throw new UsageError('--segments names no segment');
  if (asked === undefined && !privateKeyOf(flags)) {
    throw new UsageError('give --segments a,b (or the private key, to ask every segment the account defines)');
  }

  let names: string[];
  if (privateKeyOf(flags)) {
    const defined = await definedSegments(flags);
    if (!defined.ok) {
      if (asked === undefined) return reportFailure(defined);
      process.stderr.write(`odpkit: warning: could not check that the segments are defined: ${defined.message}\n`);
      names = asked;
    } else {
      const known = new Set(defined.segments.map((s) => s.name));
      names = asked ?? [...known];
      for (const name of names) {
        if (!known.has(name)) process.stderr.write(`odpkit: warning: segment "${name}" is not defined on the server\n`);
      }
    }
  } else {
    names = asked ?? [];
    process.stderr.write(
      'odpkit: note: not checked that the segments are defined on the server ' +
        '(listing them needs --private-key or ODPKIT_PRIVATE_KEY)\n',
    );
  }
  if (names.length === 0) {
    process.stderr.write('odpkit: the account defines no segments\n');
    return 1;
  }

  const client = createOdpClient({
    odp: { apiKey, apiHost: flags.url, segmentsToCheck: names },
    segmentsRequestTimeout: flags.timeout,
    logLevel: 'silent',
  });
  try {
    const result = await fetchQualifiedSegments(client, { key, value });
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
