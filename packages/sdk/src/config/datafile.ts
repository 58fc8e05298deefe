import type { OdpConfigFromDatafile } from '../types.js';
import { normaliseHost } from './http-url.js';

/** The datafile cannot be used at all (not JSON, not an object, an integration without a key). */
export class InvalidDatafileError extends Error {
  override name = 'InvalidDatafileError';
}

const OPERATORS = new Set(['and', 'or', 'not']);

/**
 * Reads the ODP part of an Optimizely datafile: whether ODP is integrated (first `odp` integration with both host
 * and publicKey), and which segments the audiences check (the `value` of every `match: "qualified"` leaf, in
 * first-seen order over typedAudiences then audiences, de-duplicated).
 */
export function odpConfigFromDatafile(input: unknown): OdpConfigFromDatafile {
  let datafile: unknown = input;
  if (typeof input === 'string') {
    try {
      datafile = JSON.parse(input);
    } catch (err) {
      throw new InvalidDatafileError(`datafile is not valid JSON (${(err as Error).message})`);
    }
  }
  if (typeof datafile !== 'object' || datafile === null || Array.isArray(datafile)) {
    throw new InvalidDatafileError('datafile must be a JSON object');
  }
  const df = datafile as Record<string, unknown>;
  const integrations = df.integrations;
  if (integrations !== undefined && !Array.isArray(integrations)) {
    throw new InvalidDatafileError('datafile integrations must be an array');
  }
  let odp: Record<string, unknown> | undefined;
  (integrations ?? []).forEach((entry: unknown, i: number) => {
    const e = entry as Record<string, unknown> | null;
    // Same rule as the official SDKs: an integration without a key makes the whole datafile invalid.
    if (typeof e !== 'object' || e === null || typeof e.key !== 'string' || e.key === '') {
      throw new InvalidDatafileError(
        `Integration key missing from datafile: integrations[${i}] has no "key"; all integrations must include a key`,
      );
    }
    if (odp === undefined && e.key === 'odp') odp = e;
  });
  if (odp === undefined) {
    return { state: 'not_integrated', reason: 'ODP is not integrated: the datafile has no "odp" integration' };
  }
  const { host, publicKey } = odp;
  if (typeof publicKey !== 'string' || publicKey === '') {
    return {
      state: 'not_integrated',
      reason: 'ODP is not integrated: the datafile\'s "odp" integration has no publicKey',
    };
  }
  if (typeof host !== 'string' || host === '') {
    return { state: 'not_integrated', reason: 'ODP is not integrated: the datafile\'s "odp" integration has no host' };
  }
  const apiHost = normaliseHost(host);
  if (apiHost === undefined) {
    return {
      state: 'not_integrated',
      reason: `ODP is not integrated: the "odp" integration host is not an http(s) URL (${JSON.stringify(host)})`,
    };
  }
  return {
    state: 'integrated',
    apiKey: publicKey,
    apiHost,
    segmentsToCheck: segmentsToCheck(df),
  };
}

function segmentsToCheck(df: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const typed = Array.isArray(df.typedAudiences) ? df.typedAudiences : [];
  const legacy = Array.isArray(df.audiences) ? df.audiences : [];
  // A typed audience replaces a legacy one with the same id, as in the official SDKs.
  const typedIds = new Set(typed.map((a: { id?: unknown }) => a?.id));
  for (const audience of typed) collect(audience?.conditions, found);
  for (const audience of legacy) {
    if (typedIds.has(audience?.id)) continue;
    let conditions = audience?.conditions;
    if (typeof conditions === 'string') {
      try {
        conditions = JSON.parse(conditions);
      } catch {
        continue; // an unreadable legacy audience contributes no segments; it cannot be evaluated either
      }
    }
    collect(conditions, found);
  }
  return [...found];
}

function collect(node: unknown, found: Set<string>): void {
  if (Array.isArray(node)) {
    for (const child of node) if (!(typeof child === 'string' && OPERATORS.has(child))) collect(child, found);
  } else if (typeof node === 'object' && node !== null) {
    const leaf = node as Record<string, unknown>;
    if (leaf.match === 'qualified' && typeof leaf.value === 'string') found.add(leaf.value);
  }
}
