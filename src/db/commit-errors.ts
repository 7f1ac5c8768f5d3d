/** How a unit of work fails when its shared commit did (group-commit.ts); both are answered 503 (db-errors.ts). */

/**
 * What a unit gets when the shared transaction failed for a reason that is not its own (the COMMIT, the BEGIN, or
 * another unit's error that made SQLite roll everything back): nothing of it was stored, and retrying is safe.
 * Its cause is the underlying error; `db-errors.ts` answers it 503.
 */
export class SharedCommitFailedError extends Error {
  constructor(cause: unknown) {
    super('the transaction this write shared with others failed; nothing of it was stored', { cause });
    this.name = 'SharedCommitFailedError';
  }
}

/**
 * What every unit gets once a COMMIT was written but could not be made durable (the file sync failed): whether it is
 * on disk is unknown, and so is the state of every later write to the same file, since an operating system may drop
 * the unwritten pages and report the failure only once. No later unit is acknowledged either, until the process
 * restarts and SQLite recovers the file (PostgreSQL stops alike on a failed fsync). `db-errors.ts` answers it 503.
 */
export class DurabilityLostError extends Error {
  constructor(cause: unknown) {
    super('a commit could not be made durable; no write is acknowledged until the vault restarts', { cause });
    this.name = 'DurabilityLostError';
  }
}
