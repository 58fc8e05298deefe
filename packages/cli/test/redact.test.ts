import { describe, expect, it } from 'vitest';
import { redact } from '../src/commands/serve.js';

describe('serve prints the database without its password', () => {
  it('masks a PostgreSQL password and keeps the rest', () => {
    expect(redact('postgres://app:s3cret@db.internal:5432/odp?schema=a')).toBe(
      'postgres://app:***@db.internal:5432/odp?schema=a',
    );
    expect(redact('postgresql://postgres@127.0.0.1:5432/test')).toBe('postgresql://postgres@127.0.0.1:5432/test');
  });

  it('leaves SQLite paths alone', () => {
    expect(redact('./data/odpkit.db')).toBe('./data/odpkit.db');
    expect(redact('C:\\data\\odpkit.db')).toBe('C:\\data\\odpkit.db');
  });
});
