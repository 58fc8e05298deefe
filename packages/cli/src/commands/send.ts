import { createOdpClient, type EventOutcome } from '@odpkit/sdk';
import { defaults } from '../env.js';
import { pairsToRecord, parseDataValue } from '../pairs.js';
import { UsageError } from '../usage-error.js';

export interface SendFlags {
  id: string[];
  type?: string;
  data: string[];
  dataString: string[];
  /** Already checked to be an http(s) URL. */
  url: string;
  apiKey?: string;
  timeout: number;
}

/**
 * `odpkit send`: one event through @odpkit/sdk, so the CLI exercises exactly the code applications use.
 * Exit status 0 only when the server accepted the event; otherwise the reason is printed and the status is 1.
 */
export async function send(action: string, flags: SendFlags): Promise<number> {
  const apiKey = flags.apiKey ?? defaults.publicKey();
  if (!apiKey) throw new UsageError('an API key is needed: --api-key K or ODPKIT_PUBLIC_KEY');
  if (flags.id.length === 0) throw new UsageError('at least one --id key=value is needed');
  const identifiers = pairsToRecord([{ flag: '--id', raws: flags.id, value: (v) => v }]);
  const data = pairsToRecord<string | number | boolean | null>([
    { flag: '--data', raws: flags.data, value: parseDataValue },
    { flag: '--data-string', raws: flags.dataString, value: (v) => v },
  ]);

  const client = createOdpClient({
    odp: { apiKey, apiHost: flags.url },
    flushInterval: 0,
    requestTimeout: flags.timeout,
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
