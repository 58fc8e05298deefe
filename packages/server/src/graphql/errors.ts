// The wire shape of GraphQL errors. Every error carries `locations` and
// `extensions.classification`, because the official JS SDK's response schema rejects errors
// without them as a "decode error", and the Python SDK
// reads `extensions.classification`.

import type { GraphQLError } from 'graphql';

/** graphql-java's classification names, which ODP (a graphql-java server) sends. */
export type Classification = 'InvalidSyntax' | 'ValidationError' | 'DataFetchingException' | 'ExecutionAborted';

export interface WireError {
  message: string;
  locations: { line: number; column: number }[];
  path?: (string | number)[];
  extensions: { classification: string; code?: string; [key: string]: unknown };
}

export function toWireError(error: GraphQLError, classification: Classification): WireError {
  const extensions = { ...error.extensions };
  const wire: WireError = {
    message: error.message,
    locations: error.locations ? error.locations.map(({ line, column }) => ({ line, column })) : [],
    extensions: {
      ...extensions,
      classification: (extensions['classification'] as string | undefined) ?? classification,
    },
  };
  if (error.path) wire.path = [...error.path];
  return wire;
}

/** An error that arose outside any document position (bad body, limits). */
export function requestError(message: string, classification: Classification): WireError {
  return { message, locations: [], extensions: { classification } };
}
