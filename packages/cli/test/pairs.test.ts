import { describe, expect, it } from 'vitest';
import { pairsToRecord, parseDataValue, parsePair } from '../src/pairs.js';
import { UsageError } from '../src/usage-error.js';

describe('key=value arguments', () => {
  it('splits at the first = so values may contain =', () => {
    expect(parsePair('token=a=b=', '--id')).toEqual(['token', 'a=b=']);
    expect(parsePair('email=', '--id')).toEqual(['email', '']);
  });

  it('refuses a pair without a key', () => {
    expect(() => parsePair('novalue', '--id')).toThrow(UsageError);
    expect(() => parsePair('=x', '--data')).toThrow('--data "=x" must look like key=value');
  });

  it('types data values only when written exactly as JSON writes them', () => {
    expect(parseDataValue('50')).toBe(50);
    expect(parseDataValue('-1.5e2')).toBe(-150);
    expect(parseDataValue('true')).toBe(true);
    expect(parseDataValue('false')).toBe(false);
    expect(parseDataValue('null')).toBeNull();
    expect(parseDataValue('01234')).toBe('01234');
    expect(parseDataValue('12abc')).toBe('12abc');
    expect(parseDataValue('True')).toBe('True');
    expect(parseDataValue('')).toBe('');
  });
});

describe('repeatable key=value flags into one map', () => {
  const asString = (v: string) => v;

  it('keeps every distinct key', () => {
    expect({
      ...pairsToRecord([{ flag: '--id', raws: ['fs_user_id=u1', 'email=a@example.com'], value: asString }]),
    }).toEqual({ fs_user_id: 'u1', email: 'a@example.com' });
  });

  it('refuses a key given twice instead of keeping only the last value, naming the flag and key', () => {
    expect(() =>
      pairsToRecord([{ flag: '--id', raws: ['email=a@example.com', 'email=b@example.com'], value: asString }]),
    ).toThrow(new UsageError('--id email is given twice; an event holds one value per key'));
  });

  it('refuses a key given by two flags that fill the same map', () => {
    expect(() =>
      pairsToRecord([
        { flag: '--data', raws: ['sku=1'], value: parseDataValue },
        { flag: '--data-string', raws: ['sku=00042'], value: asString },
      ]),
    ).toThrow('sku is given by both --data and --data-string');
  });
});
