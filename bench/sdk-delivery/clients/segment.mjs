// @segment/analytics-node: track() with userId and properties of the same content; host → the sink.
// Documented shutdown: await analytics.closeAndFlush().
import { Analytics } from '@segment/analytics-node';
import { dataProperties, eventValues, runClient } from './common.mjs';

await runClient({
  name: 'segment',
  async create(port) {
    return new Analytics({ writeKey: 'bench-write-key', host: `http://127.0.0.1:${port}` });
  },
  send(analytics, i) {
    const v = eventValues(i);
    analytics.track({
      userId: v.userId,
      event: v.action,
      properties: { email: v.email, ...dataProperties(v) },
    });
  },
  async finish(analytics) {
    await analytics.closeAndFlush();
  },
});
