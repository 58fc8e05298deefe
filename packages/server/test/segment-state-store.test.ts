import { describe } from 'vitest';
import { openSqlite } from './segment-state-differential.js';
import { stateStoreCases } from './segment-state-store.js';

describe('segment state store cases: SQLite', () => {
  stateStoreCases(openSqlite);
});
