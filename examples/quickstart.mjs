// Sends two events through @odpkit/sdk to a running odpkit server and prints what happened to each.
// Start the server first: npm start -- --public-key pk_demo --private-key sk_demo
// ODPKIT_URL and ODPKIT_PUBLIC_KEY point it at another server.
import { createOdpClient } from '@odpkit/sdk';

const apiHost = process.env.ODPKIT_URL ?? 'http://127.0.0.1:8080';
const apiKey = process.env.ODPKIT_PUBLIC_KEY ?? 'pk_demo';

const client = createOdpClient({ odp: { apiKey, apiHost } });
client.on('event', (outcome) => console.log(outcome.status, outcome.reason));
client.sendOdpEvent('purchased', { fs_user_id: 'user123', email: 'x@example.com' }, 'fullstack', {
  item: 'shirt',
  price: 50,
});
client.sendOdpEvent({ action: 'page_viewed', identifiers: { fs_user_id: 'user123' }, data: { page: '/checkout' } });
console.log(await client.close()); // flushes, then resolves with what happened to every event
