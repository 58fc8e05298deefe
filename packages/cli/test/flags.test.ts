import { describe, expect, it } from 'vitest';
import { parseDb, parseLogLevel, parsePort, parseServerUrl, parseTimeout } from '../src/flags.js';
import { UsageError } from '../src/usage-error.js';

describe('flag values', () => {
  it('a port is a decimal integer from 0 to 65535', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('8080')).toBe(8080);
    expect(parsePort('65535')).toBe(65535);
    for (const bad of ['', ' ', '0x50', '1e3', '80.0', '-1', '65536', '8080abc', '999999']) {
      expect(() => parsePort(bad), bad).toThrow(UsageError);
    }
    expect(() => parsePort('0x50')).toThrow('--port must be a decimal integer from 0 to 65535');
  });

  it('a server URL is http(s), named --host when it is not', () => {
    expect(parseServerUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(parseServerUrl('https://odp.example.com')).toBe('https://odp.example.com');
    for (const bad of ['127.0.0.1:8080', 'localhost:8080', 'ftp://x', '']) {
      expect(() => parseServerUrl(bad), bad).toThrow(
        `--host must be an http(s) URL such as http://127.0.0.1:8080 (got "${bad}")`,
      );
    }
  });

  it('--db takes a SQLite path or a PostgreSQL URL in any case, and refuses other schemes without echoing them', () => {
    expect(parseDb('./data/odpkit.db')).toEqual({ kind: 'sqlite', path: './data/odpkit.db' });
    expect(parseDb('C:\\data\\odpkit.db')).toEqual({ kind: 'sqlite', path: 'C:\\data\\odpkit.db' });
    expect(parseDb(':memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseDb('POSTGRES://u:pw@h:5432/db')).toEqual({ kind: 'postgres', url: 'postgres://u:pw@h:5432/db' });
    expect(parseDb('postgresql://h/db')).toEqual({ kind: 'postgres', url: 'postgresql://h/db' });
    expect(() => parseDb('mysql://u:secret@h/db')).toThrow(/^--db does not support mysql:\/\/ URLs; give a SQLite/);
    expect(() => parseDb('mysql://u:secret@h/db')).not.toThrow(/secret/);
    expect(() => parseDb('')).toThrow(UsageError);
  });

  it('timeouts and log levels', () => {
    expect(parseTimeout('2000')).toBe(2000);
    for (const bad of ['0', '-5', 'soon', '1e3', '']) expect(() => parseTimeout(bad), bad).toThrow(UsageError);
    expect(parseLogLevel('warn')).toBe('warn');
    expect(() => parseLogLevel('loud')).toThrow('--log-level must be one of fatal, error, warn, info');
  });
});
