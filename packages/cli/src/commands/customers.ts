import { adminRequest, reportFailure } from '../admin-request.js';
import { parsePair } from '../pairs.js';

/**
 * `odpkit customers delete key=value`: deletes the customer holding that identifier, with every event, identifier
 * and merged customer it has, and prints what was removed.
 */
export async function deleteCustomer(pair: string, flags: { url: string; privateKey?: string; json?: boolean }) {
  const [key, value] = parsePair(pair, 'identifier');
  const query = new URLSearchParams({ key, value });
  const res = await adminRequest(flags, `/admin/v1/customers?${query}`, { method: 'DELETE' });
  if (!res.ok) return reportFailure(res);
  const body = res.body as {
    customer_id: string;
    deleted: { events: number; identifiers: number; merged_customers: number };
  };
  const d = body.deleted;
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(body, null, 2)}\n`
      : `deleted customer ${body.customer_id}: ${d.events} events, ${d.identifiers} identifiers, ${d.merged_customers} merged customers\n`,
  );
  return 0;
}
