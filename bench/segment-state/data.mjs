// Segment definitions and events of the segment-state benchmark (random numbers: makeRng of bench/lib/events.mjs).

import { randomUUID } from 'node:crypto';

export const DAY = 86_400_000;

/** The three segments of the reported problem: an unwindowed count, a windowed event, an identifier. */
export const THREE_SEGMENTS = [
  { name: 'bought_3', condition: { event: { action: 'purchase' }, count: { gte: 3 } } },
  { name: 'viewed_7d', condition: { event: { action: 'pageview' }, within: '7d' } },
  { name: 'has_email', condition: { identifier: 'email' } },
];

const ACTIONS = ['pageview', 'pageview', 'pageview', 'add_to_cart', 'purchase', 'signup', 'search'];

/** Twenty segments of the kinds customers define: counts, windows, where filters, and/or/not, identifiers. */
export const TWENTY_SEGMENTS = [
  ...THREE_SEGMENTS,
  { name: 'cart_5_30d', condition: { event: { action: 'add_to_cart' }, count: { gte: 5 }, within: '30d' } },
  { name: 'big_order', condition: { event: { action: 'purchase', where: { price: { gte: 200 } } } } },
  {
    name: 'mid_order_90d',
    condition: { event: { action: 'purchase', where: { price: { gte: 50, lt: 200 } } }, within: '90d' },
  },
  { name: 'eu', condition: { event: { where: { country: { in: ['DE', 'FR', 'NL'] } } } } },
  { name: 'never_bought', condition: { not: { event: { action: 'purchase' } } } },
  {
    name: 'lapsed',
    condition: { and: [{ event: { action: 'purchase' } }, { not: { event: { action: 'purchase' }, within: '30d' } }] },
  },
  { name: 'searcher_1d', condition: { event: { action: 'search' }, within: '1d' } },
  { name: 'few_views', condition: { event: { action: 'pageview' }, count: { lte: 2 } } },
  { name: 'views_10_7d', condition: { event: { action: 'pageview' }, count: { gte: 10 }, within: '7d' } },
  { name: 'signed_up', condition: { event: { action: 'signup' } } },
  { name: 'coupon', condition: { event: { action: 'purchase', where: { coupon: { exists: true } } } } },
  { name: 'mobile', condition: { event: { type: 'fullstack', where: { platform: { eq: 'ios' } } }, within: '30d' } },
  { name: 'vuid_only', condition: { and: [{ identifier: 'vuid' }, { not: { identifier: 'email' } }] } },
  {
    name: 'active_or_buyer',
    condition: { or: [{ event: { action: 'pageview' }, within: '3d' }, { event: { action: 'purchase' } }] },
  },
  {
    name: 'cart_no_buy_7d',
    condition: {
      and: [
        { event: { action: 'add_to_cart' }, within: '7d' },
        { not: { event: { action: 'purchase' }, within: '7d' } },
      ],
    },
  },
  { name: 'plan_pro', condition: { event: { where: { plan: { eq: 'pro' } } }, count: { gte: 2 } } },
];

/** One wire event of the customer `fsUserId` (the ODP /v3/events shape), with an idempotence id. */
export function wireEvent(r, identifiers) {
  const action = ACTIONS[Math.floor(r() * ACTIONS.length)];
  const data = { idempotence_id: randomUUID(), platform: r() < 0.3 ? 'ios' : 'web' };
  if (action === 'purchase') {
    data.price = Math.round(r() * 40000) / 100;
    if (r() < 0.3) data.coupon = 'SAVE10';
  }
  if (r() < 0.2) data.country = ['DE', 'FR', 'NL', 'US', 'GB'][Math.floor(r() * 5)];
  if (r() < 0.1) data.plan = r() < 0.5 ? 'pro' : 'free';
  return { type: 'fullstack', action, identifiers, data };
}
