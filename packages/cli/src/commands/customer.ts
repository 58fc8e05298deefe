import { adminRequest, reportFailure } from '../admin-request.js';
import { parsePair } from '../pairs.js';

export interface CustomerFlags {
  url: string;
  privateKey?: string;
  json?: boolean;
}

/** `odpkit customer key=value`: the stitched profile from the admin API (private key). */
export async function customer(pair: string, flags: CustomerFlags): Promise<number> {
  const [key, value] = parsePair(pair, 'identifier');
  const query = new URLSearchParams({ key, value });
  const res = await adminRequest(flags, `/admin/v1/customers?${query}`);
  if (!res.ok) return reportFailure(res);
  const body = res.body as Record<string, unknown>;
  process.stdout.write(flags.json ? `${JSON.stringify(body, null, 2)}\n` : formatCustomer(body));
  return 0;
}

interface RecentEvent {
  type: string;
  action: string;
  received_at?: string | number;
  data?: Record<string, unknown>;
}

function formatCustomer(body: Record<string, unknown>): string {
  const lines = [`customer ${String(body.customer_id)}`];
  const identifiers = (body.identifiers ?? {}) as Record<string, string[]>;
  lines.push('identifiers:');
  for (const [k, values] of Object.entries(identifiers)) lines.push(`  ${k}: ${values.join(', ')}`);
  lines.push(`events: ${String(body.event_count)}${body.event_count_capped === true ? '+' : ''}`);
  if (Array.isArray(body.segments))
    lines.push(`segments: ${body.segments.length ? body.segments.join(', ') : '(none)'}`);
  const recent = (body.recent_events ?? []) as RecentEvent[];
  if (recent.length) lines.push('recent events:');
  for (const e of recent) {
    const at = e.received_at === undefined ? '' : `${new Date(e.received_at).toISOString()}  `;
    lines.push(`  ${at}${e.type}/${e.action} ${JSON.stringify(e.data ?? {})}`);
  }
  return `${lines.join('\n')}\n`;
}
