import { describe, expect, it } from 'vitest';
import { heldStream } from '../src/held-stream.js';

describe('held stream', () => {
  it('keeps writes until released, then passes them on in order, and later writes straight through', () => {
    const out: string[] = [];
    const s = heldStream({ write: (c: string) => out.push(c) });
    s.write('a\n');
    s.write('b\n');
    expect(out).toEqual([]);
    s.release();
    expect(out).toEqual(['a\n', 'b\n']);
    s.write('c\n');
    s.release();
    expect(out).toEqual(['a\n', 'b\n', 'c\n']);
  });
});
