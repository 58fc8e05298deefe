type CryptoLike = { randomUUID?: () => string; getRandomValues?: <T extends Uint8Array>(a: T) => T };

const c = (globalThis as { crypto?: CryptoLike }).crypto;
const HEX = Array.from({ length: 256 }, (_, i) => (i + 256).toString(16).slice(1));

/**
 * UUID v4 for idempotence_id. randomUUID is the fast path (Node ≥ 19, browsers in secure contexts, Deno, Bun,
 * Workers); an insecure-context page still has getRandomValues.
 */
export const uuidV4: () => string =
  typeof c?.randomUUID === 'function'
    ? () => c.randomUUID!()
    : () => {
        const b = new Uint8Array(16);
        if (typeof c?.getRandomValues === 'function') c.getRandomValues(b);
        // No crypto at all is only seen in exotic embedders; ids then stay unique enough for de-duplication.
        else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
        b[6] = (b[6]! & 0x0f) | 0x40;
        b[8] = (b[8]! & 0x3f) | 0x80;
        const h = (i: number) => HEX[b[i]!]!;
        return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
      };
