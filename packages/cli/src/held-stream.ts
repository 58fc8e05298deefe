/**
 * A write target that keeps what is written until `release()`, then passes everything through. `serve` hands it to
 * the server's logger so that log lines written while the server starts come after the start-up banner instead of
 * before or among its lines; nothing is dropped.
 */
export function heldStream(target: { write(chunk: string): unknown }) {
  let held: string[] | null = [];
  return {
    write(chunk: string) {
      if (held === null) target.write(chunk);
      else held.push(chunk);
      return true;
    },
    release() {
      if (held === null) return;
      const lines = held;
      held = null;
      for (const chunk of lines) target.write(chunk);
    },
  };
}
