/**
 * Which GraphQL key a user id is asked by: a `vuid_…` id (the JS SDK's visitor id, longer than the prefix) is a
 * vuid; anything else is an fs_user_id, as the official SDKs decide it.
 */
export function userKeyFor(userId: string): 'vuid' | 'fs_user_id' {
  return userId.startsWith('vuid_') && userId.length > 5 ? 'vuid' : 'fs_user_id';
}
