export interface ExitAware {
  onBeforeExit(): void;
}

const registered = new Set<ExitAware>();
let installed = false;

/**
 * Node emits 'beforeExit' when the event loop has nothing left, which with unref'd timers includes "events still
 * waiting for their batch". Starting their delivery then puts sockets in flight, which keeps the process alive
 * until they finish; Node then emits 'beforeExit' again and, with nothing left, exits. One listener serves every
 * client, so many clients do not trigger MaxListenersExceededWarning. Elsewhere this is a no-op.
 *
 * This module-level set is a GC root, so a client must be in it only while it has events to deliver: it registers
 * when it starts holding events and unregisters once they are all settled. An application that drops a client
 * therefore leaks nothing once its events are out, and one that drops it with events still queued (a CommonJS
 * script's local, say) still has them delivered at exit.
 */
export function onProcessExit(target: ExitAware): () => void {
  const proc = (globalThis as { process?: { on?: (e: string, f: () => void) => unknown } }).process;
  if (typeof proc?.on !== 'function') return () => {};
  if (!installed) {
    installed = true;
    proc.on('beforeExit', () => {
      for (const t of registered) {
        try {
          t.onBeforeExit();
        } catch {
          // One client's failure must not stop the others from delivering.
        }
      }
    });
  }
  registered.add(target);
  return () => {
    registered.delete(target);
  };
}
