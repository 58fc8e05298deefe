// @odpkit/sdk: createOdpClient with the API key and host directly; sendOdpEvent(action, identifiers, type, data).
// Documented shutdown: await client.close(), which resolves with the summary of what happened to every event.
import { createOdpClient } from '@odpkit/sdk';
import { dataProperties, eventValues, runClient } from './common.mjs';

await runClient({
  name: 'odpkit',
  async create(port) {
    return createOdpClient({ odp: { apiKey: 'pk_bench_public_key', apiHost: `http://127.0.0.1:${port}` } });
  },
  send(client, i) {
    const v = eventValues(i);
    client.sendOdpEvent(v.action, { fs_user_id: v.userId, email: v.email }, v.type, dataProperties(v));
  },
  async finish(client) {
    return await client.close();
  },
});
