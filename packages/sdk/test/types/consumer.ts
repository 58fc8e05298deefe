// Compiled by types.test.ts as a consumer would: against the published declarations, with lib ES2022 only (no DOM).
import { createFetchTransport, createOdpClient, type DeliverySummary, type OdpClient } from '@odpkit/sdk';

interface Purchase {
  item: string;
  price: number;
  gift: boolean | null;
}
interface Ids {
  fs_user_id: string;
  email?: string;
}

const client: OdpClient = createOdpClient({ odp: { apiKey: 'k', apiHost: 'http://127.0.0.1:8080' } });
const purchase: Purchase = { item: 'shirt', price: 50, gift: null };
const ids: Ids = { fs_user_id: 'u1' };

// Interface-typed identifiers and data, as plain objects and as Maps.
client.sendOdpEvent('purchased', ids, 'fullstack', purchase);
client.sendOdpEvent('purchased', new Map([['fs_user_id', 'u1']]), undefined, new Map([['price', 5]]));
client.sendOdpEvent({ action: 'viewed', identifiers: ids, data: purchase });
client.identifyUser({ fs_user_id: 'u1', vuid: null });

// @ts-expect-error nested objects are not data values
client.sendOdpEvent('x', ids, 'fullstack', { nested: { a: 1 } });
// @ts-expect-error identifier values are strings
client.sendOdpEvent('x', { fs_user_id: 5 });

createFetchTransport();
const done: Promise<DeliverySummary> = client.close({ timeout: 1000 });
void done;
