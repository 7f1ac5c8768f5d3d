import { tokenDataKeyAad, vaultKeyAad } from './associated-data.js';
import type { MasterKeyWrapper, WrapBinding } from './master-key-provider.js';
import type { Pkcs11Token } from './pkcs11-token.js';

/** The kek_id of rows wrapped by a token's key: `pkcs11:` and its label (a file key's id holds no colon). */
export const pkcs11KekId = (label: string) => `pkcs11:${label}`;

const aad = (binding: WrapBinding) =>
  binding.kind === 'data-key' ? tokenDataKeyAad(binding.fleetId, binding.dataKeyId) : vaultKeyAad(binding.keyId, binding.purpose);

/** The probe of `check`: a wrap and unwrap in the token, bound to nothing any row uses. */
const PROBE_AAD = 'fleetvault:readiness-probe:v1';

/**
 * A master key that lives in a PKCS#11 token: AES-256-GCM runs inside the token (C_Encrypt, C_Decrypt)
 * with the row's binding as associated data; the key's value never leaves it (docs/hsm.md).
 */
export function pkcs11MasterKey(token: Pkcs11Token, label: string): MasterKeyWrapper {
  return {
    id: pkcs11KekId(label),
    provider: 'pkcs11',
    wrap: (material, binding) => token.encrypt(label, material, aad(binding)),
    unwrap: (wrapped, binding) => token.decrypt(label, wrapped, aad(binding)),
    check: () => {
      token.decrypt(label, token.encrypt(label, Buffer.alloc(32), PROBE_AAD), PROBE_AAD);
    },
  };
}
