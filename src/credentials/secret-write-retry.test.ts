import { describe, expect, it } from 'vitest';
import { AppError } from '../core/app-error.js';
import { LOST_RACE, retrySecretWrite, SECRET_WRITE_ATTEMPTS } from './secret-write-retry.js';

/** The one retry policy of the writes that seal secrets: what is retried, how often, and what the caller then sees. */
const foreignKeyViolation = () => Object.assign(new Error('FOREIGN KEY constraint failed'), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });

/** An attempt that answers `outcomes` in turn (an Error is thrown), counting its calls. */
function attempts(...outcomes: (string | typeof LOST_RACE | Error)[]) {
  let calls = 0;
  const attempt = async () => {
    const outcome = outcomes[Math.min(calls++, outcomes.length - 1)]!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { attempt, calls: () => calls };
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('resolved'),
    (error: unknown) => error,
  );

describe('retrySecretWrite', () => {
  it('a lost compare-and-set is applied again on the winner: the next attempt decides', async () => {
    const run = attempts(LOST_RACE, LOST_RACE, 'done');
    expect(await retrySecretWrite(false, run.attempt)).toBe('done');
    expect(run.calls()).toBe(3);
  });

  it('with the version pinned (If-Match) the first lost race is 412, not retried', async () => {
    const run = attempts(LOST_RACE, 'done');
    const error = await rejection(retrySecretWrite(true, run.attempt));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('precondition-failed');
    expect(run.calls()).toBe(1);
  });

  it('a commit refused by a foreign key (a data key destroyed meanwhile) is retried, pinned or not', async () => {
    for (const pinned of [false, true]) {
      const run = attempts(foreignKeyViolation(), 'done');
      expect(await retrySecretWrite(pinned, run.attempt)).toBe('done');
      expect(run.calls()).toBe(2);
    }
  });

  it(`gives up after ${SECRET_WRITE_ATTEMPTS} attempts: 412 for races, the driver error for foreign keys`, async () => {
    const races = attempts(LOST_RACE);
    expect(((await rejection(retrySecretWrite(false, races.attempt))) as AppError).code).toBe('precondition-failed');
    expect(races.calls()).toBe(SECRET_WRITE_ATTEMPTS);
    const keys = attempts(foreignKeyViolation());
    expect(((await rejection(retrySecretWrite(false, keys.attempt))) as { code: string }).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(keys.calls()).toBe(SECRET_WRITE_ATTEMPTS);
  });

  it('any other failure (404, 422, a refused verify) is thrown at once', async () => {
    const run = attempts(new AppError('not-found', 'Credential not found.'), 'done');
    expect(((await rejection(retrySecretWrite(false, run.attempt))) as AppError).code).toBe('not-found');
    expect(run.calls()).toBe(1);
  });
});
