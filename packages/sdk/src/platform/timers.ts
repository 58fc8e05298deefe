type Handle = ReturnType<typeof setTimeout>;

interface Refable {
  ref?: () => unknown;
  unref?: () => unknown;
}

const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void; refTimer?: (id: number) => void } }).Deno;

/** A timer that never keeps a Node (or Deno) process alive on its own. */
export function unrefTimeout(fn: () => void, ms: number): Handle {
  const t = setTimeout(fn, ms);
  unref(t);
  return t;
}

export function unref(t: Handle): void {
  if (typeof t === 'object' && t !== null && typeof (t as Refable).unref === 'function') (t as Refable).unref!();
  else if (typeof t === 'number') deno?.unrefTimer?.(t);
}

/** Used when the process is about to exit with work still waiting on a timer (a retry backoff): keep it alive. */
export function ref(t: Handle): void {
  if (typeof t === 'object' && t !== null && typeof (t as Refable).ref === 'function') (t as Refable).ref!();
  else if (typeof t === 'number') deno?.refTimer?.(t);
}
