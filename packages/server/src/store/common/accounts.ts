import type { Account } from '../store.js';

/** An `accounts` row as both drivers select it (`SELECT id, public_key, private_key`). */
export interface AccountRow {
  id: number | string;
  public_key: string;
  private_key: string;
}

export interface AccountKeys {
  publicKey: string;
  privateKey: string;
}

export const toAccount = (r: AccountRow): Account => ({
  id: String(r.id),
  publicKey: r.public_key,
  privateKey: r.private_key,
});

/**
 * What ensureDefaultAccount must write: with no default account yet, create one with the given keys, a missing key
 * taken from `fresh`; with one, a given key replaces the stored one and a missing key keeps it.
 */
export type DefaultAccountPlan =
  | { action: 'create'; keys: AccountKeys }
  | { action: 'update'; id: number | string; keys: AccountKeys }
  | { action: 'keep'; id: number | string; keys: AccountKeys };

export function planDefaultAccount(
  existing: AccountRow | undefined,
  given: Partial<AccountKeys>,
  fresh: AccountKeys,
): DefaultAccountPlan {
  if (existing === undefined) {
    return {
      action: 'create',
      keys: { publicKey: given.publicKey ?? fresh.publicKey, privateKey: given.privateKey ?? fresh.privateKey },
    };
  }
  const keys = {
    publicKey: given.publicKey ?? existing.public_key,
    privateKey: given.privateKey ?? existing.private_key,
  };
  const changed = keys.publicKey !== existing.public_key || keys.privateKey !== existing.private_key;
  return { action: changed ? 'update' : 'keep', id: existing.id, keys };
}
