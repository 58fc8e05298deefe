// The stored data set and the segment definitions of the segments benchmark, also queried by bench/postgres.
//
// Data set: CUSTOMERS customers, EVENTS events spread over the last HISTORY_DAYS days, in time order. Every event
// carries the customer's fs_user_id (same spelling as bench/lib/events.mjs: "user-0000042"), plus sometimes the
// customer's email (two customers in three have one; "User…" in mixed case one time in five) and vuid (one customer
// in two), so stitching yields exactly CUSTOMERS customers and no merges. One event in ten is the guaranteed event of
// customer g/10 (so every customer exists, created over time as a real base grows); the other nine pick a customer
// with a skew (u², as bench/ingest does): a few customers have thousands of events, the median about seven.
// Actions and data vary (prices, countries, plans, coupons, app versions) so that `where` filters select something.
//
// Bump GENERATOR_VERSION whenever anything here that changes the stored data changes: it keys the cached DB file.

import { randomUUID } from 'node:crypto';
import { makeRng } from './events.mjs';

export const GENERATOR_VERSION = 1;
export const HISTORY_DAYS = 120;
const DAY = 86_400_000;

const pad7 = (n) => String(n).padStart(7, '0');
export const fsUserId = (c) => `user-${pad7(c)}`;
const email = (c, upper) => `${upper ? 'User' : 'user'}${pad7(c)}@example.com`;
const vuid = (c) => `vuid_${((c * 2654435761) % 2 ** 48).toString(16).padStart(12, '0')}f0e1d2c3b4a5968`;
const hasEmail = (c) => c % 3 !== 0;
const hasVuid = (c) => c % 2 === 0;

const pick = (rng, list) => list[Math.floor(rng() * list.length)];
const money = (rng, lo, hi) => Math.round((lo + rng() * (hi - lo)) * 100) / 100;

// [weight, action, data(rng)]
const ACTIONS = [
  [
    45,
    'pageview',
    (r) => ({
      page: pick(r, ['/', '/products/widget-pro', '/checkout/cart', '/pricing', '/blog/launch']),
      referrer: pick(r, ['https://www.google.com/', 'https://www.example.com/', null]),
    }),
  ],
  [
    15,
    'add_to_cart',
    (r) => ({
      product_id: `sku-${Math.floor(r() * 5000)}`,
      price: money(r, 2, 300),
      quantity: 1 + Math.floor(r() * 3),
      currency: 'USD',
    }),
  ],
  [
    7,
    'purchase',
    (r) => ({
      order_id: `ord-${Math.floor(r() * 1e7)}`,
      price: money(r, 5, 400),
      revenue: money(r, 5, 900),
      currency: 'USD',
      coupon: r() < 0.3 ? 'SAVE10' : null,
    }),
  ],
  [
    15,
    'client_initialized',
    (r) => {
      const d = {
        os: pick(r, ['iOS', 'Android', 'Windows', 'macOS']),
        os_version: pick(r, ['16.2', '17.4', '14', '11', '13.1']),
        device_type: pick(r, ['phone', 'phone', 'desktop', 'tablet']),
        country: pick(r, ['US', 'US', 'DE', 'FR', 'NL', 'GB', 'JP']),
      };
      if (r() < 0.7) d.app_version = pick(r, ['3.2.1', '3.3.0', '4.0.0']);
      return d;
    },
  ],
  [10, 'search', (r) => ({ query: pick(r, ['widget', 'gift card', 'shoes', 'sale']), results: Math.floor(r() * 50) })],
  [3, 'signup', (r) => ({ plan: pick(r, ['free', 'free', 'pro', 'enterprise']) })],
  [5, 'identified', (r) => ({ source: 'login-form', method: pick(r, ['password', 'sso', 'magic-link']) })],
];
const ACTION_TABLE = [];
for (const [weight, action, data] of ACTIONS) for (let i = 0; i < weight; i++) ACTION_TABLE.push([action, data]);

/** One event object as an SDK sends it. `first` = the customer's guaranteed event: all its identifiers. */
function makeEvent(rng, c, first) {
  const identifiers = { fs_user_id: fsUserId(c) };
  if (hasEmail(c) && (first || rng() < 0.3)) identifiers.email = email(c, rng() < 0.2);
  if (hasVuid(c) && (first || rng() < 0.3)) identifiers.vuid = vuid(c);
  const [action, data] = ACTION_TABLE[Math.floor(rng() * ACTION_TABLE.length)];
  return {
    type: 'fullstack',
    action,
    identifiers,
    data: {
      idempotence_id: randomUUID(),
      data_source_type: 'sdk',
      data_source: 'javascript-sdk',
      data_source_version: '6.5.0',
      ...data(rng),
    },
  };
}

/**
 * Yields the data set in time order as groups of batches: { batches: [{ receivedAt, events: [event objects] }], done }.
 * `now` is the instant the history ends at.
 */
export function* generateDataSet({ customers, events, now, batchSize = 100, groupBatches = 100, seed = 11 }) {
  const rng = makeRng(seed);
  const span = HISTORY_DAYS * DAY;
  const start = now - span;
  let batches = [];
  let done = 0;
  for (let g = 0; g < events; g += batchSize) {
    const n = Math.min(batchSize, events - g);
    const list = new Array(n);
    for (let i = 0; i < n; i++) {
      const k = g + i;
      const guaranteed = k % 10 === 0 && k / 10 < customers;
      const u = rng();
      const c = guaranteed ? k / 10 : Math.floor(customers * u * u);
      list[i] = makeEvent(rng, c, guaranteed);
    }
    // Batches are spread evenly over the history; the last one lands a few seconds before `now`.
    const receivedAt = Math.floor(start + ((g + n) / events) * span) - 5000;
    batches.push({ receivedAt, events: list });
    done += n;
    if (batches.length === groupBatches || done === events) {
      yield { batches, done };
      batches = [];
    }
  }
}

// ---------- segment definitions ----------

const within = (d) => ({ within: d });
export const SEGMENTS = [
  { name: 'has_email', description: 'Customers we can email', condition: { identifier: 'email' } },
  { name: 'anonymous_device', condition: { and: [{ identifier: 'vuid' }, { not: { identifier: 'email' } }] } },
  { name: 'active_1d', condition: { event: {}, ...within('1d') } },
  { name: 'active_7d', condition: { event: {}, ...within('7d') } },
  { name: 'buyer_30d', condition: { event: { action: 'purchase' }, ...within('30d') } },
  {
    name: 'big_spender_30d',
    condition: { event: { action: 'purchase', where: { price: { gte: 100 } } }, count: { gte: 2 }, ...within('30d') },
  },
  {
    name: 'lapsed_buyer',
    condition: {
      and: [{ event: { action: 'purchase' } }, { not: { event: { action: 'purchase' }, ...within('90d') } }],
    },
  },
  {
    name: 'cart_abandoner_7d',
    condition: {
      and: [
        { event: { action: 'add_to_cart' }, ...within('7d') },
        { not: { event: { action: 'purchase' }, ...within('7d') } },
      ],
    },
  },
  {
    name: 'eu_mobile',
    condition: {
      event: {
        type: 'fullstack',
        action: 'client_initialized',
        where: { country: { in: ['DE', 'FR', 'NL'] }, device_type: { eq: 'phone' }, app_version: { exists: true } },
      },
    },
  },
  { name: 'frequent_viewer_14d', condition: { event: { action: 'pageview' }, count: { gte: 10 }, ...within('14d') } },
  { name: 'new_signup_3d', condition: { event: { action: 'signup' }, ...within('3d') } },
  { name: 'paid_plan', condition: { event: { action: 'signup', where: { plan: { in: ['pro', 'enterprise'] } } } } },
  {
    name: 'checkout_visitor_1d',
    condition: { event: { action: 'pageview', where: { page: { eq: '/checkout/cart' } } }, ...within('1d') },
  },
  {
    name: 'emailable_buyer_60d',
    condition: { and: [{ identifier: 'email' }, { event: { action: 'purchase' }, ...within('60d') }] },
  },
  { name: 'low_activity_90d', condition: { event: {}, count: { lte: 2 }, ...within('90d') } },
  {
    name: 'searcher_or_carter_7d',
    condition: {
      or: [
        { event: { action: 'search' }, ...within('7d') },
        { event: { action: 'add_to_cart' }, ...within('7d') },
      ],
    },
  },
  {
    name: 'ios_17_30d',
    condition: {
      event: { action: 'client_initialized', where: { os: { eq: 'iOS' }, os_version: { gte: '17' } } },
      ...within('30d'),
    },
  },
  { name: 'coupon_user', condition: { event: { action: 'purchase', where: { coupon: { exists: true } } } } },
  {
    name: 'mid_price_buyer_90d',
    condition: { event: { action: 'purchase', where: { price: { gte: 10, lt: 50 } } }, ...within('90d') },
  },
  {
    name: 'not_desktop_2d',
    condition: {
      and: [
        { event: {}, ...within('2d') },
        { not: { event: { action: 'client_initialized', where: { device_type: { eq: 'desktop' } } } } },
      ],
    },
  },
];

/** The 5 names every GraphQL query asks for (an SDK asks for the segments its datafile mentions, the same each time). */
export const SUBSET = ['has_email', 'active_7d', 'big_spender_30d', 'cart_abandoner_7d', 'lapsed_buyer'];

/** A second subset with windowed event conditions only (≤ 30d), to show what the whole-history fetch costs. */
export const SUBSET_WINDOWED = ['has_email', 'active_7d', 'big_spender_30d', 'cart_abandoner_7d', 'buyer_30d'];

export const GRAPHQL_QUERY =
  'query($userId: String, $audiences: [String]) {customer(fs_user_id: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}';
