import { createOdpClient, type EventOutcome } from '@odpkit/sdk';
import { defaults } from '../env.js';
import { parseDataValue, parsePair, UsageError } from '../pairs.js';

export interface SendFlags {
  id: string[];
  type?: string;
  data: string[];
  dataString: string[];
  url: string;
  apiKey?: string;
  timeout: string;
}

/**
 * `odpkit send`: one event through @odpkit/sdk, so the CLI exercises exactly the code applications use.
 * Exit status 0 only when the server accepted the event; otherwise the reason is printed and the status is 1.
 */
export async function send(action: string, flags: SendFlags): Promise<number> {
  const apiKey = flags.apiKey ?? defaults.publicKey();
  if (!apiKey) throw new UsageError('an API key is needed: --api-key K or ODPKIT_PUBLIC_KEY');
  if (flags.id.length === 0) throw new UsageError('at least one --id key=value is needed');
  const identifiers: Record<string, string> = Object.create(null);
  for (const raw of flags.id) {
    const [k, v] = parsePair(raw, '--id');
    identifiers[k] = v;
  }
  const data: Record<string, string | number | boolean | null> = Object.create(null);
  for (const raw of flags.data) {
    const [k, v] = parsePair(raw, '--data');
    data[k] = parseDataValue(v);
  }
  for (const raw of flags.dataString) {
    const [k, v] = parsePair(raw, '--data-string');
    data[k] = v;
  }
  const timeout = Number(flags.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError(`--timeout "${flags.timeout}" must be milliseconds`);

  const client = createOdpClient({
    odp: { apiKey, apiHost: flags.url.replace(/\/+$/, '') },
    flushInterval: 0,
    requestTimeout: timeout,
    logLevel: 'silent',
  });
  const outcomes: EventOutcome[] = [];
  client.on('event', (outcome) => outcomes.push(outcome));
  client.sendOdpEvent({ action, identifiers: { ...identifiers }, type: flags.type, data: { ...data } });
  const summary = await client.close();
  const last = outcomes.at(-1);
  if (summary.sent >= 1) {
    const id = last?.event?.data.idempotence_id;
    process.stdout.write(`accepted: ${action}${id ? ` (idempotence_id ${id})` : ''}\n`);
    return 0;
  }
  const detail = last?.detail === undefined ? '' : `\n${JSON.stringify(last.detail, null, 2)}`;
  process.stderr.write(
    `not accepted (${last?.status ?? 'unknown'}): ${last?.reason ?? 'no outcome reported'}${detail}\n`,
  );
  return 1;
}
