/**
 * The segments request body. We always use the variables form (as the official Python, Go and Java SDKs do):
 * the user id and segment names travel as JSON-encoded variables, never spliced into the query text, so an id
 * holding quotes or backslashes cannot break or alter the query (the official JS SDK's inline form can).
 */

/** GraphQL argument names: the user key is placed in the query text, so it must be a plain name. */
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

export function isGraphqlName(key: string): boolean {
  return GRAPHQL_NAME.test(key);
}

export function segmentsQueryBody(userKey: string, userValue: string, segmentsToCheck: readonly string[]): string {
  const query = `query($userId: String, $audiences: [String]) {customer(${userKey}: $userId) {audiences(subset: $audiences) {edges {node {name state}}}}}`;
  return JSON.stringify({ query, variables: { userId: userValue, audiences: segmentsToCheck } });
}
