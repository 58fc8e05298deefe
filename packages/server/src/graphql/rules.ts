// Validation rules: graphql-js's standard rules, except that `Query.customer` accepts any one
// identifier argument. The hosted ODP lets `customer` take any identifier (fs_user_id, vuid, email,
// custom keys), and graphql-js only knows declared arguments, so we relax KnownArgumentNames for
// that one field and check the undeclared argument's value ourselves.

import {
  type ArgumentNode,
  type ASTVisitFn,
  type ASTVisitor,
  GraphQLError,
  Kind,
  KnownArgumentNamesRule,
  type OperationDefinitionNode,
  specifiedRules,
  type TypeNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

function isCustomerField(context: ValidationContext): boolean {
  return context.getParentType()?.name === 'Query' && context.getFieldDef()?.name === 'customer';
}

/** KnownArgumentNames everywhere but on `customer`, whose argument names are identifier types. */
const KnownArgumentNamesExceptCustomerRule: ValidationRule = (context) => {
  const inner = KnownArgumentNamesRule(context);
  // graphql-js defines this rule's Argument visitor as a plain function.
  const visitArgument = (inner as { Argument?: ASTVisitFn<ArgumentNode> }).Argument;
  return {
    ...inner,
    Argument(node, key, parent, path, ancestors) {
      if (context.getDirective() === null && isCustomerField(context)) return;
      visitArgument?.call(inner, node, key, parent, path, ancestors);
    },
  };
};

function isStringType(type: TypeNode): boolean {
  const named = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
  return named.kind === Kind.NAMED_TYPE && named.name.value === 'String';
}

/** `customer` has exactly one argument, and an undeclared one holds a String. */
const CustomerIdentifierRule: ValidationRule = (context): ASTVisitor => {
  let operation: OperationDefinitionNode | null = null;
  const variableType = (name: string): TypeNode | undefined => {
    const ops = operation
      ? [operation]
      : context
          .getDocument()
          .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    for (const op of ops) {
      const def = op.variableDefinitions?.find((v) => v.variable.name.value === name);
      if (def) return def.type;
    }
    return undefined;
  };
  return {
    OperationDefinition: {
      enter(node) {
        operation = node;
      },
      leave() {
        operation = null;
      },
    },
    Field(node) {
      if (!isCustomerField(context)) return;
      const count = node.arguments?.length ?? 0;
      if (count !== 1) {
        context.reportError(
          new GraphQLError(
            `customer takes exactly one identifier argument, e.g. customer(fs_user_id: "user-1") (got ${count})`,
            { nodes: node },
          ),
        );
        return;
      }
      const arg = node.arguments![0]!;
      if (context.getFieldDef()?.args.some((a) => a.name === arg.name.value)) return; // standard rules check it
      const value = arg.value;
      const ok =
        value.kind === Kind.STRING ||
        value.kind === Kind.NULL ||
        (value.kind === Kind.VARIABLE &&
          (variableType(value.name.value) === undefined || isStringType(variableType(value.name.value)!)));
      // An undefined variable is reported by NoUndefinedVariables; no need to say it twice.
      if (!ok) {
        context.reportError(
          new GraphQLError(`customer(${arg.name.value}:) takes a String identifier value`, { nodes: arg.value }),
        );
      }
    },
  };
};

/** The schema has only a query root; say so clearly instead of failing at execution. */
const QueryOperationsOnlyRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation !== 'query') {
      context.reportError(
        new GraphQLError(`only query operations are supported (got ${node.operation})`, { nodes: node }),
      );
    }
  },
});

export const validationRules: ValidationRule[] = [
  QueryOperationsOnlyRule,
  ...specifiedRules.filter((rule) => rule !== KnownArgumentNamesRule),
  KnownArgumentNamesExceptCustomerRule,
  CustomerIdentifierRule,
];
