import { describe, expect, it } from 'vitest';
import { lineIdempotenceId, parseLine, readLines } from '../src/import-lines.js';
import { describeProgress } from '../src/progress.js';

async function collect(chunks: Buffer[]) {
  async function* source() {
    yield* chunks;
  }
  const out = [];
  for await (const line of readLines(source())) out.push(line);
  return out;
}

describe('readLines', () => {
  it('numbers lines across chunk borders, multi-byte characters split between chunks included', async () => {
    const text = Buffer.from('{"a":"é"}\r\n\n{"b":"日本"}\nlast', 'utf8');
    const chunks = Array.from({ length: text.length }, (_, i) => text.subarray(i, i + 1)); // one byte at a time
    expect(await collect(chunks)).toEqual([
      { number: 1, text: '{"a":"é"}' },
      { number: 2, text: '' },
      { number: 3, text: '{"b":"日本"}' },
      { number: 4, text: 'last' },
    ]);
  });
});

describe('parseLine', () => {
  it('adds an idempotence id derived from the line text only when the line has none', () => {
    const line = '{"type":"t","action":"a","identifiers":{"fs_user_id":"u"},"data":{"x":1}}';
    const first = parseLine(line);
    const again = parseLine(line);
    const other = parseLine(line.replace('"x":1', '"x":2'));
    if (!first.ok || !again.ok || !other.ok) throw new Error('expected events');
    expect(first.derivedId).toBe(true);
    const id = (first.event['data'] as Record<string, unknown>)['idempotence_id'];
    expect(id).toBe(lineIdempotenceId(line));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((again.event['data'] as Record<string, unknown>)['idempotence_id']).toBe(id);
    expect((other.event['data'] as Record<string, unknown>)['idempotence_id']).not.toBe(id);
    expect((first.event['data'] as Record<string, unknown>)['x']).toBe(1);

    const own = parseLine('{"type":"t","action":"a","identifiers":{"u":"1"},"data":{"idempotence_id":"mine"}}');
    expect(own).toMatchObject({ ok: true, derivedId: false, event: { data: { idempotence_id: 'mine' } } });
    const noData = parseLine('{"type":"t","action":"a","identifiers":{"u":"1"}}');
    expect(noData.ok && noData.derivedId).toBe(true);
  });

  it('keeps a "__proto__" data key as data', () => {
    const parsed = parseLine('{"type":"t","action":"a","identifiers":{"u":"1"},"data":{"__proto__":{"x":1}}}');
    if (!parsed.ok) throw new Error('expected an event');
    const data = parsed.event['data'] as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(['__proto__', 'idempotence_id']);
    expect(JSON.stringify(data)).toContain('"__proto__":{"x":1}');
  });

  it('rejects what is not one JSON object, saying why', () => {
    expect(parseLine('nope')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(parseLine('[1,2]')).toEqual({ ok: false, reason: 'a line must hold one JSON object (an event)' });
    expect(parseLine('null')).toEqual({ ok: false, reason: 'a line must hold one JSON object (an event)' });
  });
});

describe('describeProgress', () => {
  it('gives events/s, the share of the file read, the ETA from it and the rejected count', () => {
    const state = { events: 5_000, rejected: 3, bytes: 250, totalBytes: 1_000 };
    expect(describeProgress(state, 10_000, false)).toBe('5,000 events, 500 events/s, 25.0%, ETA 0:30, rejected 3');
    expect(describeProgress(state, 10_000, true)).toBe(
      '[######------------------] 5,000 events  500 events/s  25.0%  ETA 0:30  rejected 3',
    );
  });
});
