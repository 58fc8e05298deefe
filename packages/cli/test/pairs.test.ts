import { describe, expect, it } from 'vitest';
import { parseDataValue, parsePair, UsageError } from '../src/pairs.js';

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
