// Event generator shared by the load generator and the raw-SQLite ceiling.
//
// A typical ODP event as the official SDKs send it (about 345 bytes serialized), with realistic identifiers drawn from a pool of customers:
// a skewed pick (a few customers are hot) so that customers repeat within a run, and identifier
// combinations that make the server stitch and merge (an anonymous `vuid` customer later logs in with
// `fs_user_id`; an email-only customer is later seen with its `fs_user_id`; emails sometimes differ in
// case). Every event gets a fresh UUID v4 `idempotence_id`, so no id repeats within a run.
//
// To keep the load generator's CPU on HTTP rather than on making bodies, events are pre-rendered once
// into one Buffer of templates (customer, identifiers, action and data drawn as above) with a 36-byte
// hole for the idempotence id; a body is then a few Buffer copies plus one crypto.randomUUID() per
// event (about 0.3 µs per event instead of about 2 µs for string building and encoding).

import { randomUUID } from 'node:crypto';

export const DEFAULT_CUSTOMERS = 200_000;
export const DEFAULT_TEMPLATES = 1 << 17;

const ACTIONS = [
  ['pageview', '"page":"/products/widget-pro","referrer":"https://www.example.com/"'],
  ['pageview', '"page":"/checkout/cart","referrer":"https://www.example.com/products"'],
  ['add_to_cart', '"product_id":"sku-48213","price":19.99,"quantity":2,"currency":"USD"'],
  ['purchase', '"order_id":"ord-7733120","revenue":59.97,"currency":"USD","coupon":null'],
  ['client_initialized', '"os":"iOS","os_version":"17.4","device_type":"phone","app":"shop"'],
  ['identified', '"source":"login-form","method":"password","remember_me":true,"x":1'],
];

// Identifier combinations and their weights (out of 100).
const COMBOS = [
  [30, ['fs_user_id']],
  [20, ['vuid']],
  [20, ['fs_user_id', 'email']],
  [15, ['vuid', 'fs_user_id']],
  [10, ['email']],
  [5, ['vuid', 'fs_user_id', 'email']],
];
const COMBO_TABLE = [];
for (const [weight, keys] of COMBOS) for (let i = 0; i < weight; i++) COMBO_TABLE.push(keys);

const DATA_COMMON =
  '"data_source_type":"sdk","data_source":"javascript-sdk","data_source_version":"6.5.0","session":"4f9a2c"';
const ID_HOLE = '00000000-0000-4000-8000-000000000000';
const HEAD = '{"type":"fullstack","action":"';

function identifierValue(key, customer, upper) {
  const n = String(customer).padStart(7, '0');
  if (key === 'fs_user_id') return 'user-' + n;
  if (key === 'email') return (upper ? 'User' : 'user') + n + '@example.com';
  // "vuid_" + 27 hex characters, like the JS SDK's vuid.
  return 'vuid_' + ((customer * 2654435761) % 2 ** 48).toString(16).padStart(12, '0') + 'f0e1d2c3b4a5968';
}

/** Fast xorshift PRNG so that the identifier stream is reproducible given a seed (UUIDs are always random). */
export function makeRng(seed = 1) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** One event's parts (`customer` is the index of the customer it was drawn for): the event is {"type":"fullstack","action":…,"identifiers":…,"data":{"idempotence_id":…,<dataRest>}}. */
function drawEvent(rng, customers) {
  const u = rng();
  const customer = Math.floor(customers * u * u); // P(index < k) = sqrt(k / customers): hot customers repeat
  const combo = COMBO_TABLE[Math.floor(rng() * COMBO_TABLE.length)];
  const upper = rng() < 0.2;
  const identifiers = {};
  for (const key of combo) identifiers[key] = identifierValue(key, customer, upper);
  const [action, extra] = ACTIONS[Math.floor(rng() * ACTIONS.length)];
  return { customer, action, identifiersJson: JSON.stringify(identifiers), dataRest: DATA_COMMON + ',' + extra };
}

export function eventJson(p, id = randomUUID()) {
  return (
    HEAD +
    p.action +
    '","identifiers":' +
    p.identifiersJson +
    ',"data":{"idempotence_id":"' +
    id +
    '",' +
    p.dataRest +
    '}}'
  );
}

/**
 * A pool of pre-rendered events. `parts[i]` are the event's fields (for the raw SQLite ceiling);
 * `buf.subarray(start[i], start[i + 1])` its JSON with the idempotence id at `start[i] + hole[i]`.
 */
export function makeEventPool({ size = DEFAULT_TEMPLATES, customers = DEFAULT_CUSTOMERS, seed = 1 } = {}) {
  const rng = makeRng(seed);
  const parts = new Array(size);
  const texts = new Array(size);
  const start = new Int32Array(size + 1);
  const hole = new Int32Array(size);
  let offset = 0;
  for (let i = 0; i < size; i++) {
    const p = drawEvent(rng, customers);
    const text = eventJson(p, ID_HOLE);
    parts[i] = p;
    texts[i] = text;
    start[i] = offset;
    hole[i] = text.indexOf(ID_HOLE);
    offset += text.length; // ASCII only
  }
  start[size] = offset;
  const buf = Buffer.from(texts.join(''), 'latin1');
  return { size, parts, buf, start, hole, rng };
}

/**
 * Returns body(): a Buffer (valid until the next call) holding a JSON array of `batch` events, each a fresh UUID v4 idempotence id.
 * Events are taken from the pool at random positions (seeded), so customers repeat across requests.
 */
export function makeBodyGenerator(batch, pool = makeEventPool(), seed = 7) {
  const rng = makeRng(seed);
  const { buf, start, hole, size } = pool;
  let longest = 0;
  for (let k = 0; k < size; k++) longest = Math.max(longest, start[k + 1] - start[k]);
  // One scratch buffer, reused: autocannon copies the body into its request buffer (Buffer.concat).
  const out = Buffer.allocUnsafe(2 + batch * (longest + 1));
  const picks = new Int32Array(batch);
  return function body() {
    for (let i = 0; i < batch; i++) picks[i] = Math.floor(rng() * size);
    let pos = 0;
    out[pos++] = 0x5b; // [
    for (let i = 0; i < batch; i++) {
      if (i > 0) out[pos++] = 0x2c; // ,
      const k = picks[i];
      buf.copy(out, pos, start[k], start[k + 1]);
      out.latin1Write(randomUUID(), pos + hole[k], 36);
      pos += start[k + 1] - start[k];
    }
    out[pos++] = 0x5d; // ]
    return out.subarray(0, pos);
  };
}

/**
 * The load generator's request (bench/lib/load-generator.mjs): POST /v3/events with `config.batch` fresh events per
 * request, the identifier stream seeded per target so that several nodes do not send the same customers in step.
 */
const pools = new Map();
export function makeRequest(config, i) {
  const { seed = 1, batch = 10 } = config;
  if (!pools.has(seed)) pools.set(seed, makeEventPool({ seed }));
  const body = makeBodyGenerator(batch, pools.get(seed), seed * 7919 + batch + i * 31);
  return {
    method: 'POST',
    path: '/v3/events',
    headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
    setupRequest: (request) => {
      request.body = body();
      return request;
    },
  };
}
