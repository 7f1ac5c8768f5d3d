import { AppError } from '../core/app-error.js';
import { isForeignKeyViolation } from '../db/db-errors.js';

/** A data-key rotation finishes once, and rotations of one credential are rare: more races in a row mean something else is wrong. */
export const SECRET_WRITE_ATTEMPTS = 5;

/** What an attempt answers when its compare-and-set found the credential at another version (a concurrent change won). */
export const LOST_RACE: unique symbol = Symbol('lost race');

/**
 * The one retry policy of every write that seals a credential's secrets (read, seal, one transaction), create,
 * rotate and restore alike (docs/design.md §3, §2.8). The attempt runs again from the read when:
 * - its commit is refused by a foreign key: a data-key rotation destroyed the key the secrets were just sealed
 *   under (every sealed row names its key, and a write under a destroyed key must fail rather than store what
 *   nothing can open); the next attempt seals under the fleet's new key. A row deleted meanwhile fails the same
 *   way, and the next attempt then answers 404;
 * - it lost the compare-and-set on `secret_version` to a concurrent rotation or restore: the next attempt
 *   applies the same change on top of the winner's result, unless the caller pinned the version it read
 *   (`If-Match`, RFC 9110 §13.1.1), which is then a 412.
 */
export async function retrySecretWrite<T>(pinned: boolean, attempt: () => Promise<T | typeof LOST_RACE>): Promise<T> {
  for (let n = 1; ; n++) {
    let outcome: T | typeof LOST_RACE;
    try {
      outcome = await attempt();
    } catch (error) {
      if (!isForeignKeyViolation(error) || n >= SECRET_WRITE_ATTEMPTS) throw error;
      continue;
    }
    if (outcome !== LOST_RACE) return outcome;
    if (pinned || n >= SECRET_WRITE_ATTEMPTS) {
      throw new AppError('precondition-failed', 'The credential was rotated concurrently; read it again and retry.');
    }
  }
}
