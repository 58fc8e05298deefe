// @optimizely/optimizely-sdk 6.x with ODP enabled through a static datafile whose `odp` integration host is the sink.
// createOdpManager() with the Node defaults (batch 10, flush interval 1 s, 10 s timeout, 2 retries).
// client.sendOdpEvent(action, type, identifiers: Map, data: Map) once the client is ready.
// Documented shutdown: await client.close(). It does not wait for the last ODP requests it has started
// (its event manager stops without awaiting them), so common.mjs then waits for the sink or for the event loop to run dry.
// A logger at ERROR level counts the SDK's own error reports (e.g. "failed to send odp events") so that losses can
// be explained; nothing is printed.
import {
  createInstance,
  createLogger,
  createOdpManager,
  createStaticProjectConfigManager,
  ERROR,
} from '@optimizely/optimizely-sdk';
import { eventValues, runClient } from './common.mjs';

const errors = { count: 0, samples: {} };

function datafile(port) {
  return JSON.stringify({
    version: '4',
    accountId: '10000000001',
    projectId: '10000000002',
    revision: '1',
    sdkKey: 'bench-odp',
    environmentKey: 'production',
    anonymizeIP: true,
    botFiltering: false,
    attributes: [],
    audiences: [],
    typedAudiences: [],
    events: [],
    groups: [],
    experiments: [],
    featureFlags: [],
    rollouts: [],
    integrations: [
      {
        key: 'odp',
        host: `http://127.0.0.1:${port}`,
        publicKey: 'pk_bench_public_key',
        pixelUrl: `http://127.0.0.1:${port}`,
      },
    ],
  });
}

await runClient({
  name: 'optimizely',
  async create(port) {
    const client = createInstance({
      projectConfigManager: createStaticProjectConfigManager({ datafile: datafile(port) }),
      odpManager: createOdpManager({}),
      logger: createLogger({
        level: ERROR,
        logHandler: {
          log(_level, message) {
            errors.count++;
            const key = String(message).slice(0, 160);
            errors.samples[key] = (errors.samples[key] ?? 0) + 1;
          },
        },
      }),
    });
    await client.onReady({ timeout: 10000 });
    if (!client.isOdpIntegrated()) throw new Error('ODP is not integrated: check the datafile');
    return client;
  },
  send(client, i) {
    const v = eventValues(i);
    client.sendOdpEvent(
      v.action,
      v.type,
      new Map([
        ['fs_user_id', v.userId],
        ['email', v.email],
      ]),
      new Map([
        ['seq', v.seq],
        ['product_id', v.productId],
        ['price', v.price],
        ['currency', v.currency],
        ['quantity', v.quantity],
      ]),
    );
  },
  async finish(client) {
    await client.close();
  },
  report() {
    return { sdkErrorLogs: errors };
  },
});
