import { createOdpClient, type EventOutcome, type OdpClient, type OdpClientOptions } from '@odpkit/sdk';
import { type RecordingLogger, recordingLogger } from './logs.js';
import type { Sink } from './sink.js';

export const TEST_KEY = 'pk_test_key';

/** A client pointed at a sink, recording its outcomes and logs; small delays so retry tests stay fast. */
export function clientFor(
  sink: Sink,
  options: Partial<OdpClientOptions> = {},
): { client: OdpClient; outcomes: EventOutcome[]; logger: RecordingLogger } {
  const logger = recordingLogger();
  const client = createOdpClient({
    odp: { apiKey: TEST_KEY, apiHost: sink.url },
    logger,
    logLevel: 'debug',
    retryBaseDelay: 5,
    retryMaxDelay: 50,
    ...options,
  });
  const outcomes: EventOutcome[] = [];
  client.on('event', (o) => outcomes.push(o));
  return { client, outcomes, logger };
}
