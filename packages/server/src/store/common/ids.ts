/**
 * Account and customer ids cross the Store interface as strings (decimal integers). Anything that is not a positive
 * integer of at most 16 digits matches nothing: callers get "not found", never a database type error.
 */
const ID = /^[1-9][0-9]{0,15}$/;

export function parseId(id: string): string | null {
  return ID.test(id) ? id : null;
}
