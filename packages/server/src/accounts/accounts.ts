import { randomBytes } from 'node:crypto';
import type { Account, Store } from '../store/store.js';

/**
 * Account keys. The public key is safe to ship in a datafile (events, GraphQL); the private key guards the admin API.
 * 24 random bytes make a key unguessable; the prefixes tell a human which one they are holding.
 */
export function generateKeys(): { publicKey: string; privateKey: string } {
  return {
    publicKey: `pk_${randomBytes(18).toString('base64url')}`,
    privateKey: `sk_${randomBytes(24).toString('base64url')}`,
  };
}

/** Creates an extra account (tests need two for isolation; an operator may host several teams). */
export function createAccount(
  store: Store,
  keys: Partial<{ publicKey: string; privateKey: string }> = {},
): Promise<Account> {
  const fresh = generateKeys();
  return store.createAccount({
    publicKey: keys.publicKey ?? fresh.publicKey,
    privateKey: keys.privateKey ?? fresh.privateKey,
  });
}

export function ensureDefaultAccount(
  store: Store,
  keys: { publicKey?: string; privateKey?: string },
): Promise<Account> {
  if (keys.publicKey !== undefined && keys.publicKey === keys.privateKey) {
    throw new Error('the public and private keys must differ: the public key is shipped to browsers');
  }
  return store.ensureDefaultAccount(keys, generateKeys());
}
