import { isForeignKeyViolation } from '../db/db-errors.js';

/** A data-key rotation finishes once; more than a few races in a row mean something else is wrong. */
const ATTEMPTS = 5;

/**
 * Runs a write that seals secrets (read, seal, transaction) and runs it again from the start when the commit is
 * refused by a foreign key: a data-key rotation destroyed the key the secrets were sealed under between the seal
 * and the commit (docs/design.md §3: every sealed row names its key, and a write under a destroyed key must fail rather
 * than store what nothing can open). The next attempt reads again and seals under the fleet's new key. A row
 * deleted meanwhile fails the same way, and the next attempt then answers 404.
 */
export async function withLiveDataKey<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isForeignKeyViolation(error) || attempt >= ATTEMPTS) throw error;
    }
  }
}
