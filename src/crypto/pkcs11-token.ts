import { randomBytes } from 'node:crypto';
import { IntegrityError } from './aead.js';
import { MasterKeyUnavailableError } from './master-key-provider.js';
import { MasterKeyError } from './master-keys.js';
import {
  acquirePkcs11Module,
  type Handle,
  type Pkcs11Library,
  pkcs11Code,
  pkcs11js,
  pkcs11Name,
  integrityCodes,
  lostCodes,
  pinCodes,
  reinitializePkcs11Module,
  releasePkcs11Module,
} from './pkcs11-module.js';
import type { Pkcs11Settings } from './pkcs11-settings.js';

/** NIST SP 800-38D §8.2.2: a random 96-bit IV per wrapping; far below 2^32 wrappings per key. */
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

export interface KeyAttributes {
  sensitive: boolean;
  extractable: boolean;
  token: boolean;
  aes: boolean;
  valueBytes: number;
}

const slotNumber = (slot: Handle) => slot.readBigUInt64LE(0);
/** A CK_ULONG attribute as pkcs11js returns it: the platform's unsigned long, little-endian here. */
const ulong = (value: Buffer | undefined) =>
  value === undefined ? -1 : value.length === 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);

/**
 * One PKCS#11 token, one session per process (docs/hsm.md): opened and logged in at start-up, found
 * again after the token restarts. Every call is synchronous (pkcs11js runs C_Encrypt on this thread),
 * one wrap or unwrap at a time, so the single session is never shared by two operations.
 */
export function openPkcs11Token(settings: Pkcs11Settings) {
  const library: Pkcs11Library = acquirePkcs11Module(settings.module);
  let session: Handle | undefined;
  const keys = new Map<string, Handle>();
  let closed = false;

  function findSlot(): Handle {
    const slots = library.C_GetSlotList(true);
    const labels = slots.map((slot) => library.C_GetTokenInfo(slot).label.trim());
    const index = slots.findIndex(
      (slot, i) =>
        (settings.slot === undefined || slotNumber(slot) === BigInt(settings.slot)) &&
        (settings.tokenLabel === undefined || labels[i] === settings.tokenLabel),
    );
    if (index < 0) {
      const wanted =
        settings.tokenLabel === undefined
          ? `FLEETVAULT_PKCS11_SLOT: no token in slot ${settings.slot}`
          : `FLEETVAULT_PKCS11_TOKEN_LABEL: no token labelled "${settings.tokenLabel}"` +
            (settings.slot === undefined ? '' : ` in slot ${settings.slot}`);
      throw new MasterKeyError(`${wanted} (tokens present: ${labels.map((l) => `"${l}"`).join(', ') || 'none'})`);
    }
    return slots[index]!;
  }

  function findKey(s: Handle, label: string): Handle | undefined {
    library.C_FindObjectsInit(s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    try {
      return library.C_FindObjects(s) ?? undefined;
    } finally {
      library.C_FindObjectsFinal(s);
    }
  }

  /** Opens the session and logs in; the errors name the setting to fix, never the PIN. */
  function connect(options: { requireKeys: boolean }): Handle {
    const slot = findSlot();
    if (!library.C_GetMechanismList(slot).includes(pkcs11js.CKM_AES_GCM)) {
      throw new MasterKeyError(`FLEETVAULT_PKCS11_MODULE: the token "${settings.tokenLabel ?? settings.slot}" does not offer CKM_AES_GCM`);
    }
    const pin = settings.pin();
    const s = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      library.C_Login(s, pkcs11js.CKU_USER, pin);
    } catch (error) {
      const code = pkcs11Code(error);
      if (code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
        library.C_CloseSession(s);
        if (code === undefined || !pinCodes.has(code)) throw new MasterKeyError(`the PKCS#11 login failed (${pkcs11Name(error)})`);
        const setting = settings.pinFile === undefined ? 'FLEETVAULT_PKCS11_PIN' : `FLEETVAULT_PKCS11_PIN_FILE (${settings.pinFile})`;
        throw new MasterKeyError(`${setting}: the token refused the PIN (${pkcs11Name(error)})`);
      }
    }
    keys.clear();
    for (const label of settings.keyLabels) {
      const key = findKey(s, label);
      if (key !== undefined) keys.set(label, key);
      else if (options.requireKeys) {
        library.C_CloseSession(s);
        throw new MasterKeyError(
          `FLEETVAULT_PKCS11_KEY_LABEL: the token holds no AES key labelled "${label}" (create it with: fleetvault keys hsm-init)`,
        );
      }
    }
    session = s;
    return s;
  }

  /** After a lost session: a new one; when the token is not listed any more, the library rescans first. */
  function reconnect(): void {
    session = undefined;
    try {
      connect({ requireKeys: true });
    } catch {
      reinitializePkcs11Module(settings.module);
      connect({ requireKeys: true });
    }
  }

  /** Forgets the session after a failure, so the next call opens a new one (the token may be back by then). */
  function dropSession(): void {
    try {
      if (session !== undefined) library.C_CloseSession(session);
    } catch {
      // Already gone with the token.
    }
    session = undefined;
  }

  /**
   * Runs `call` in the session. A lost session (PKCS#11 v2.40 §5.6: the token restarted, a failover) is
   * regained once at once; any other failure but an integrity one drops the session, so the next call
   * (the readiness probe's, at the latest) reconnects. While none succeeds, the key is unavailable.
   */
  function inSession<T>(call: (s: Handle) => T): T {
    if (closed) throw new MasterKeyUnavailableError('the PKCS#11 token is closed');
    try {
      if (session === undefined) reconnect();
      return call(session!);
    } catch (error) {
      if (error instanceof IntegrityError) throw error;
      const code = pkcs11Code(error);
      if (code !== undefined && lostCodes.has(code)) {
        try {
          reconnect();
          return call(session!);
        } catch (again) {
          if (again instanceof IntegrityError) throw again;
          dropSession();
          throw unavailable(again);
        }
      }
      dropSession();
      throw unavailable(error);
    }
  }

  function key(label: string): Handle {
    const handle = keys.get(label);
    if (handle === undefined) throw new MasterKeyUnavailableError(`no key labelled "${label}" on the token`);
    return handle;
  }

  const gcm = (iv: Buffer, aad: string) => ({
    mechanism: pkcs11js.CKM_AES_GCM,
    parameter: { type: pkcs11js.CK_PARAMS_GCM, iv, aad: Buffer.from(aad, 'utf8'), ivBits: GCM_IV_BYTES * 8, tagBits: GCM_TAG_BYTES * 8 },
  });

  connect({ requireKeys: true });

  return {
    /** AES-256-GCM inside the token: iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes). */
    encrypt(label: string, plaintext: Uint8Array, aad: string): Buffer {
      const iv = randomBytes(GCM_IV_BYTES);
      const sealed = inSession((s) => {
        library.C_EncryptInit(s, gcm(iv, aad), key(label));
        return library.C_Encrypt(s, Buffer.from(plaintext), Buffer.alloc(plaintext.length + GCM_TAG_BYTES));
      });
      return Buffer.concat([iv, sealed]);
    },

    decrypt(label: string, wrapped: Uint8Array, aad: string): Buffer {
      if (wrapped.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new IntegrityError('wrapped value is truncated');
      const iv = Buffer.from(wrapped.subarray(0, GCM_IV_BYTES));
      const body = Buffer.from(wrapped.subarray(GCM_IV_BYTES));
      return inSession((s) => {
        library.C_DecryptInit(s, gcm(iv, aad), key(label));
        try {
          return Buffer.from(library.C_Decrypt(s, body, Buffer.alloc(body.length)));
        } catch (error) {
          const code = pkcs11Code(error);
          if (code !== undefined && integrityCodes.has(code)) throw new IntegrityError('wrapped value failed authentication in the token');
          throw error;
        }
      });
    },

    /** The key's attributes, read back from the token (never its value: CKA_SENSITIVE refuses it). */
    attributes(label: string): KeyAttributes {
      const values = inSession((s) =>
        library.C_GetAttributeValue(s, key(label), [
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_TOKEN },
          { type: pkcs11js.CKA_KEY_TYPE },
          { type: pkcs11js.CKA_VALUE_LEN },
        ]),
      ).map((attribute) => attribute.value as Buffer);
      const flag = (value: Buffer | undefined) => value?.[0] === 1;
      return {
        sensitive: flag(values[0]),
        extractable: flag(values[1]),
        token: flag(values[2]),
        aes: ulong(values[3]) === pkcs11js.CKK_AES,
        valueBytes: ulong(values[4]),
      };
    },

    /**
     * AES-256, a token object, CKA_SENSITIVE and not CKA_EXTRACTABLE (its value never leaves the token),
     * CKA_PRIVATE (only a logged-in user sees it), allowed to encrypt and decrypt only (PKCS#11 v2.40 §4.10).
     */
    generateIfMissing(label: string): boolean {
      return inSession((s) => {
        if (findKey(s, label) !== undefined) return false;
        const created = library.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
          { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_ENCRYPT, value: true },
          { type: pkcs11js.CKA_DECRYPT, value: true },
          { type: pkcs11js.CKA_WRAP, value: false },
          { type: pkcs11js.CKA_UNWRAP, value: false },
          { type: pkcs11js.CKA_SIGN, value: false },
          { type: pkcs11js.CKA_VERIFY, value: false },
        ]);
        keys.set(label, created);
        return true;
      });
    },

    close(): void {
      if (closed) return;
      closed = true;
      try {
        if (session !== undefined) library.C_CloseSession(session);
      } catch {
        // The session is gone already (token restarted): nothing to close.
      }
      session = undefined;
      releasePkcs11Module(settings.module);
    },
  };
}

export type Pkcs11Token = ReturnType<typeof openPkcs11Token>;

/** Any failure of the token, as the key being unavailable (the message names the setting or the CKR_ code, never the PIN). */
function unavailable(error: unknown): Error {
  if (error instanceof MasterKeyUnavailableError) return error;
  if (error instanceof MasterKeyError) return new MasterKeyUnavailableError(error.message);
  return new MasterKeyUnavailableError(`the PKCS#11 token cannot be used (${pkcs11Name(error)})`);
}

/**
 * `fleetvault keys hsm-init`: creates the master key in the token when it holds none of that label.
 * Returns whether it created it.
 */
export function createPkcs11MasterKey(settings: Pkcs11Settings, label: string): { created: boolean } {
  const token = openPkcs11Token({ ...settings, keyLabels: [] });
  try {
    return { created: token.generateIfMissing(label) };
  } finally {
    token.close();
  }
}
