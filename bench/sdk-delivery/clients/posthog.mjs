// posthog-node: capture() with distinctId and properties of the same content; host → the sink.
// Defaults untouched (gzip on, flushAt 20, maxBatchSize 100, maxQueueSize 10,000). Documented shutdown: await shutdown().
import { PostHog } from 'posthog-node';
import { dataProperties, eventValues, runClient } from './common.mjs';

await runClient({
  name: 'posthog',
  async create(port) {
    return new PostHog('phc_bench_project_key', { host: `http://127.0.0.1:${port}` });
  },
  send(posthog, i) {
    const v = eventValues(i);
    posthog.capture({
      distinctId: v.userId,
      event: v.action,
      properties: { email: v.email, ...dataProperties(v) },
    });
  },
  async finish(posthog) {
    await posthog.shutdown();
  },
});
