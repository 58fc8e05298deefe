// The GraphQL schema ODP clients query: customer(<identifier>) { audiences(subset) { edges { node } } }.
// `customer` declares the common identifiers so introspection documents them, but accepts any
// single identifier argument (custom keys too): rules.ts lets undeclared names through on that
// field only, and the resolver reads the one argument from the query's AST.

import {
  type FieldNode,
  GraphQLError,
  GraphQLList,
  GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLSchema,
  GraphQLString,
  valueFromAST,
} from 'graphql';
import type { AudienceState, SegmentService } from '../segments/service.js';
import type { CustomerView } from '../segments/types.js';

export interface GraphQLContext {
  accountId: string;
  segments: SegmentService;
}

interface CustomerSource {
  customer: CustomerView;
}

/** Identifier values are echoed in error messages; keep those messages short. */
function shown(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

/** Same wording as ODP ("… could not resolve _fs_user_id = <id>") so logs read alike. */
export function invalidIdentifierMessage(key: string, value: string | null): string {
  const prefix = 'Exception while fetching data (/customer) :';
  return value === null
    ? `${prefix} no value given for identifier ${key}`
    : `${prefix} could not resolve _${key} = ${shown(value)}`;
}

export const INVALID_IDENTIFIER_EXTENSIONS = {
  classification: 'DataFetchingException',
  code: 'INVALID_IDENTIFIER_EXCEPTION',
} as const;

function invalidIdentifier(key: string, value: string | null): GraphQLError {
  return new GraphQLError(invalidIdentifierMessage(key, value), { extensions: { ...INVALID_IDENTIFIER_EXTENSIONS } });
}

/** The single identifier argument of this `customer` field, whatever its name (validated by rules.ts). */
export function identifierArgument(field: FieldNode, variables: GraphQLResolveInfo['variableValues']) {
  const arg = field.arguments?.[0];
  if (arg === undefined || field.arguments?.length !== 1) return null;
  const value = valueFromAST(arg.value, GraphQLString, variables) as string | null | undefined;
  return { key: arg.name.value, value: typeof value === 'string' ? value : null };
}

async function resolveCustomer(
  _root: unknown,
  _args: unknown,
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
): Promise<CustomerSource | null> {
  const id = identifierArgument(info.fieldNodes[0]!, info.variableValues);
  if (id === null) throw new GraphQLError('customer takes exactly one identifier argument');
  if (id.value === null) throw invalidIdentifier(id.key, null);
  const customer = await ctx.segments.findCustomer(ctx.accountId, id.key, id.value);
  if (customer === null) throw invalidIdentifier(id.key, id.value);
  return { customer };
}

/** Absent or null subset: every segment; null entries in the list are ignored. */
export function subsetNames(subset: readonly (string | null)[] | null | undefined): string[] | null {
  return subset == null ? null : subset.filter((s): s is string => typeof s === 'string');
}

const Audience = new GraphQLObjectType<AudienceState>({
  name: 'Audience',
  description: 'A real-time segment and whether the customer is in it.',
  fields: {
    name: { type: GraphQLString },
    state: { type: GraphQLString, description: '"qualified" or "not_qualified".' },
    description: { type: GraphQLString },
  },
});

const AudienceEdge = new GraphQLObjectType<AudienceState>({
  name: 'AudienceEdge',
  fields: { node: { type: Audience, resolve: (state) => state } },
});

const AudienceConnection = new GraphQLObjectType<AudienceState[]>({
  name: 'AudienceConnection',
  fields: { edges: { type: new GraphQLList(AudienceEdge), resolve: (states) => states } },
});

const Customer = new GraphQLObjectType<CustomerSource, GraphQLContext>({
  name: 'Customer',
  fields: {
    audiences: {
      type: AudienceConnection,
      description:
        'The requested segments in the order asked (each name once); all segments when subset is absent or null.',
      args: { subset: { type: new GraphQLList(GraphQLString) } },
      resolve: (source, args: { subset?: (string | null)[] | null }, ctx) =>
        ctx.segments.statesFor(ctx.accountId, source.customer, subsetNames(args.subset)),
    },
  },
});

const Query = new GraphQLObjectType<unknown, GraphQLContext>({
  name: 'Query',
  fields: {
    customer: {
      type: Customer,
      description:
        'The customer holding exactly one identifier, e.g. customer(fs_user_id: "u1"); any identifier type is accepted.',
      args: {
        fs_user_id: { type: GraphQLString },
        vuid: { type: GraphQLString },
        email: { type: GraphQLString },
      },
      resolve: resolveCustomer,
    },
  },
});

export const schema = new GraphQLSchema({ query: Query });
