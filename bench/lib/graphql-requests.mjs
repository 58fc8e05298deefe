// The load generator's request for segment queries (bench/lib/load-generator.mjs): POST /v3/graphql in the variables
// form the SDKs send, for a uniformly random existing customer (of config.customers) or, with probability
// config.unknownShare, an fs_user_id nobody has; config.subset is the list of segments asked for.

import { fileURLToPath } from 'node:url';
import { makeRng } from './events.mjs';
import { fsUserId, GRAPHQL_QUERY } from './segments-data.mjs';

export function makeRequest(config, i) {
  const { customers, unknownShare = 0.05, subset, seed = 1 } = config;
  const head = `{"query":${JSON.stringify(GRAPHQL_QUERY)},"variables":{"userId":"`;
  const tail = `","audiences":${JSON.stringify(subset)}}}`;
  const rng = makeRng(seed * 104729 + i + 1);
  return {
    method: 'POST',
    path: '/v3/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': 'pk' },
    setupRequest: (request) => {
      const id = rng() < unknownShare ? `nobody-${Math.floor(rng() * 1e9)}` : fsUserId(Math.floor(rng() * customers));
      request.body = head + id + tail;
      return request;
    },
  };
}

/** The load-generator config of a segment-query load on `subset` with the run's options. */
export function graphqlLoad(opts, subset) {
  return {
    requests: fileURLToPath(import.meta.url),
    okStatus: 200,
    connections: opts.conns,
    warmup: opts.warmup,
    duration: opts.duration,
    customers: opts.customers,
    unknownShare: opts.unknownShare,
    subset,
  };
}
