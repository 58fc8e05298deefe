// A direct executor for the one query shape ODP SDKs send:
//   customer(<id>: …) { audiences(subset: …) { edges { node { name state description } } } }
// graphql-js `execute` costs about 50 µs per request for it, twenty times the segment
// evaluation itself, so documents of exactly this shape get a precompiled plan instead. Anything
// else (fragments, directives, __typename, several root fields…) goes through graphql-js.
// The plan reuses graphql-js for variable and literal coercion, so both paths answer identically;
// graphql-differential.test.ts runs a corpus through both and compares the bodies.

import {
  type DocumentNode,
  type FieldNode,
  GraphQLError,
  GraphQLList,
  GraphQLString,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  valueFromAST,
} from 'graphql';
import type { AudienceState, SegmentService } from '../segments/service.js';
import { toWireError, type WireError } from './errors.js';
import { INVALID_IDENTIFIER_EXTENSIONS, invalidIdentifierMessage, schema, subsetNames } from './schema.js';

export interface FastPlan {
  operation: OperationDefinitionNode;
  customer: { key: string; node: FieldNode; idKey: string; idValue: ValueNode };
  audiences: { key: string; node: FieldNode; subset: ValueNode | null };
  edgesKey: string;
  nodeKey: string;
  /** Response key → Audience field, in selection order. */
  leaves: [string, 'name' | 'state' | 'description'][];
}

const SUBSET_TYPE = new GraphQLList(GraphQLString);
const LEAVES = new Set(['name', 'state', 'description']);

/** The only field of a selection set, if it is a plain field (no directives, fragments or siblings). */
function soleField(set: SelectionSetNode | undefined): FieldNode | null {
  if (set === undefined || set.selections.length !== 1) return null;
  const field = set.selections[0]!;
  if (field.kind !== Kind.FIELD || (field.directives?.length ?? 0) > 0) return null;
  return field;
}

const keyOf = (field: FieldNode): string => field.alias?.value ?? field.name.value;

/** A plan for a validated document of the SDK shape, or null to use graphql-js. */
export function planFor(document: DocumentNode): FastPlan | null {
  if (document.definitions.length !== 1) return null;
  const operation = document.definitions[0]!;
  if (operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') return null;
  if ((operation.directives?.length ?? 0) > 0) return null;
  const customer = soleField(operation.selectionSet);
  if (customer?.name.value !== 'customer' || customer.arguments?.length !== 1) return null;
  const audiences = soleField(customer.selectionSet);
  if (audiences?.name.value !== 'audiences') return null;
  const args = audiences.arguments ?? [];
  if (args.length > 1 || (args.length === 1 && args[0]!.name.value !== 'subset')) return null;
  const edges = soleField(audiences.selectionSet);
  if (edges?.name.value !== 'edges' || (edges.arguments?.length ?? 0) > 0) return null;
  const node = soleField(edges.selectionSet);
  if (node?.name.value !== 'node' || (node.arguments?.length ?? 0) > 0 || node.selectionSet === undefined) return null;
  const leaves: FastPlan['leaves'] = [];
  const seen = new Set<string>();
  for (const sel of node.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD || (sel.directives?.length ?? 0) > 0 || (sel.arguments?.length ?? 0) > 0) return null;
    const key = keyOf(sel);
    // Repeated response keys are merged by graphql-js; leave that to it.
    if (!LEAVES.has(sel.name.value) || seen.has(key)) return null;
    seen.add(key);
    leaves.push([key, sel.name.value as 'name' | 'state' | 'description']);
  }
  const idArg = customer.arguments[0]!;
  return {
    operation,
    customer: { key: keyOf(customer), node: customer, idKey: idArg.name.value, idValue: idArg.value },
    audiences: { key: keyOf(audiences), node: audiences, subset: args[0]?.value ?? null },
    edgesKey: keyOf(edges),
    nodeKey: keyOf(node),
    leaves,
  };
}

export type FastResult = { requestErrors: readonly GraphQLError[] } | { data: unknown; errors: WireError[] };

/**
 * Runs a plan. `onInternalError` receives store failures, which become the same generic
 * DataFetchingException the general path produces (via `fieldError`).
 */
export async function runPlan(
  plan: FastPlan,
  variables: Record<string, unknown> | undefined,
  ctx: { accountId: string; segments: SegmentService },
  fieldError: (error: GraphQLError) => WireError,
): Promise<FastResult> {
  const coerced = getVariableValues(schema, plan.operation.variableDefinitions ?? [], variables ?? {}, {
    maxErrors: 50,
  });
  if (coerced.errors !== undefined) return { requestErrors: coerced.errors };
  const vars = coerced.coerced;
  const customerPath = [plan.customer.key];

  const idValue = valueFromAST(plan.customer.idValue, GraphQLString, vars);
  const id = typeof idValue === 'string' ? idValue : null;
  const notFound = (value: string | null) => ({
    data: { [plan.customer.key]: null },
    errors: [
      toWireError(
        new GraphQLError(invalidIdentifierMessage(plan.customer.idKey, value), {
          nodes: plan.customer.node,
          path: customerPath,
          extensions: { ...INVALID_IDENTIFIER_EXTENSIONS },
        }),
        'DataFetchingException',
      ),
    ],
  });
  if (id === null) return notFound(null);

  let customer: Awaited<ReturnType<SegmentService['findCustomer']>>;
  try {
    customer = await ctx.segments.findCustomer(ctx.accountId, plan.customer.idKey, id);
  } catch (err) {
    return {
      data: { [plan.customer.key]: null },
      errors: [fieldError(located(err, plan.customer.node, customerPath))],
    };
  }
  if (customer === null) return notFound(id);

  const subset = plan.audiences.subset === null ? undefined : valueFromAST(plan.audiences.subset, SUBSET_TYPE, vars);
  let states: AudienceState[];
  try {
    states = await ctx.segments.statesFor(ctx.accountId, customer, subsetNames(subset as (string | null)[] | null));
  } catch (err) {
    const path = [plan.customer.key, plan.audiences.key];
    return {
      data: { [plan.customer.key]: { [plan.audiences.key]: null } },
      errors: [fieldError(located(err, plan.audiences.node, path))],
    };
  }
  const edges = states.map((state) => {
    const node: Record<string, string | null> = {};
    for (const [key, field] of plan.leaves) node[key] = state[field];
    return { [plan.nodeKey]: node };
  });
  return { data: { [plan.customer.key]: { [plan.audiences.key]: { [plan.edgesKey]: edges } } }, errors: [] };
}

function located(err: unknown, node: FieldNode, path: string[]): GraphQLError {
  const original = err instanceof Error ? err : new Error(String(err));
  return new GraphQLError(original.message, { nodes: node, path, originalError: original });
}
