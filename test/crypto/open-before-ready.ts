/**
 * Run as its own process by aead-unloaded.sqlite.test.ts: calls open and seal in the same synchronous turn as the
 * import, before libsodium-wrappers can have loaded (its functions are defined in a promise callback, so never
 * earlier than the next microtask). Prints one JSON line with what each call threw.
 */
import { IntegrityError, open, randomKey, seal, sodiumReady } from '../../src/crypto/aead.js';

function outcome(call: () => unknown): { message: string; integrityError: boolean } | null {
  try {
    call();
    return null;
  } catch (error) {
    return { message: (error as Error).message, integrityError: error instanceof IntegrityError };
  }
}

const beforeReady = {
  open: outcome(() => open(Buffer.alloc(64), randomKey(), 'aad')),
  seal: outcome(() => seal(Buffer.from('x'), randomKey(), 'aad')),
};
await sodiumReady();
const key = randomKey();
const roundTrip = Buffer.from(open(seal(Buffer.from('x'), key, 'aad'), key, 'aad')).toString();
process.stdout.write(`${JSON.stringify({ beforeReady, roundTrip })}\n`);
