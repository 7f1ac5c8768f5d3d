import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './db-errors.js';
import { SharedCommitFailedError } from './commit-errors.js';

describe('isDatabaseUnavailable', () => {
  it('answers 503 for a write whose shared SQLite commit failed for another reason than its own', () => {
    const diskFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    expect(isDatabaseUnavailable(new SharedCommitFailedError(diskFull))).toBe(true);
  });

  it('keeps a write’s own constraint error and an unknown error out of it (409/422 or 500, not 503)', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
  });

  it('answers 503 for a busy SQLite file and for PostgreSQL refusing connections', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('too many connections'), { code: '53300' }))).toBe(true);
  });
});
