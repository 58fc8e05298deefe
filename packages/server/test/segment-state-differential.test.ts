import { describe } from 'vitest';
import { openSqlite, stateDifferentialCases } from './segment-state-differential.js';

describe('segment state vs history evaluator: SQLite', () => {
  stateDifferentialCases(openSqlite, [1, 2, 3, 4, 5, 6]);
});
