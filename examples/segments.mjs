// Asks which segments user123 is in, the way an application asks before deciding a flag.
// First apply examples/segments.json and send the quickstart's events (see the README).
// ODPKIT_URL and ODPKIT_PUBLIC_KEY point it at another server.
import { createOdpClient } from '@odpkit/sdk';
import { createUserContext } from '@odpkit/sdk/segments';

const apiHost = process.env.ODPKIT_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.ODPKIT_PUBLIC_KEY ?? 'pk_demo';
// The client asks the server only about the segments it is told to check.
const segmentsToCheck = ['has_purchased', 'big_spender'];

const client = createOdpClient({ odp: { apiKey, apiHost, segmentsToCheck } });
const user = createUserContext(client, 'user123');
if (await user.fetchQualifiedSegments()) {
  for (const name of segmentsToCheck) console.log(name, user.isQualifiedFor(name));
} else {
  console.error('segments not fetched:', user.lastSegmentsError?.message);
  process.exitCode = 1;
}
await client.close();
