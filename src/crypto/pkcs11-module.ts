import fs from 'node:fs';
import pkcs11js from 'pkcs11js';
import { MasterKeyError } from './master-keys.js';

export type Pkcs11Library = pkcs11js.PKCS11;
export type Handle = pkcs11js.Handle;
export { pkcs11js };

/** The PKCS#11 return value of a failed call (pkcs11js' Pkcs11Error), or undefined for any other error. */
export function pkcs11Code(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

/** `CKR_PIN_INCORRECT`, or the hex value: names a PKCS#11 failure in a message (it never holds arguments, so never the PIN). */
export function pkcs11Name(error: unknown): string {
  return error instanceof pkcs11js.Pkcs11Error ? error.message : (error as Error).message;
}

/** A session or login lost with the token (restart, network HSM failover): reconnect, then retry once. */
export const lostCodes = new Set([
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11js.CKR_KEY_HANDLE_INVALID,
  pkcs11js.CKR_OBJECT_HANDLE_INVALID,
  pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
]);

/**
 * GCM's tag does not verify: CKR_ENCRYPTED_DATA_INVALID (PKCS#11 v2.40 §5.2), or CKR_GENERAL_ERROR,
 * which is what SoftHSM2 2.6 answers for a wrong tag or associated data.
 */
export const integrityCodes = new Set([
  pkcs11js.CKR_ENCRYPTED_DATA_INVALID,
  pkcs11js.CKR_ENCRYPTED_DATA_LEN_RANGE,
  pkcs11js.CKR_GENERAL_ERROR,
]);

/** The token refused the PIN itself (PKCS#11 v2.40 §5.6 C_Login). */
export const pinCodes = new Set([
  pkcs11js.CKR_PIN_INCORRECT,
  pkcs11js.CKR_PIN_INVALID,
  pkcs11js.CKR_PIN_LEN_RANGE,
  pkcs11js.CKR_PIN_EXPIRED,
  pkcs11js.CKR_PIN_LOCKED,
]);

const loaded = new Map<string, { library: Pkcs11Library; users: number }>();

/**
 * The process's one handle on a PKCS#11 library, shared by every user (PKCS#11 v2.40 §5.4: C_Initialize
 * and C_Finalize act on the whole application, so two handles on one library would finalize each other).
 * Released with `releasePkcs11Module`; the last user finalizes it.
 */
export function acquirePkcs11Module(modulePath: string): Pkcs11Library {
  const known = loaded.get(modulePath);
  if (known !== undefined) {
    known.users += 1;
    return known.library;
  }
  if (!fs.existsSync(modulePath)) {
    throw new MasterKeyError(`FLEETVAULT_PKCS11_MODULE: ${modulePath} does not exist (the PKCS#11 library of the HSM vendor)`);
  }
  const library = new pkcs11js.PKCS11();
  try {
    library.load(modulePath);
  } catch (error) {
    throw new MasterKeyError(`FLEETVAULT_PKCS11_MODULE: cannot load ${modulePath} as a PKCS#11 library (${pkcs11Name(error)})`);
  }
  initialize(library, modulePath);
  loaded.set(modulePath, { library, users: 1 });
  return library;
}

export function releasePkcs11Module(modulePath: string): void {
  const known = loaded.get(modulePath);
  if (known === undefined) return;
  known.users -= 1;
  if (known.users > 0) return;
  loaded.delete(modulePath);
  try {
    known.library.C_Finalize();
  } catch {
    // Already finalized (a reconnect in progress elsewhere): nothing is left to release.
  }
  known.library.close();
}

function initialize(library: Pkcs11Library, modulePath: string): void {
  try {
    library.C_Initialize();
  } catch (error) {
    if (pkcs11Code(error) === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) return;
    throw new MasterKeyError(`FLEETVAULT_PKCS11_MODULE: ${modulePath} does not initialize (${pkcs11Name(error)})`);
  }
}

/**
 * Finalizes and initializes the library again: a token that restarted (or came back) is listed only
 * after C_Initialize rescans the slots. Every session of the process is lost; each user reconnects.
 */
export function reinitializePkcs11Module(modulePath: string): void {
  const known = loaded.get(modulePath);
  if (known === undefined) return;
  try {
    known.library.C_Finalize();
  } catch {
    // Not initialized any more: initialize below.
  }
  initialize(known.library, modulePath);
}
