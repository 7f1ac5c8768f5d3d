import { pkcs11KekId } from '../crypto/pkcs11-master-key.js';
import type { Pkcs11Settings } from '../crypto/pkcs11-settings.js';
import { createPkcs11MasterKey } from '../crypto/pkcs11-token.js';

export const hsmInitUsage =
  'keys hsm-init needs FLEETVAULT_PKCS11_MODULE, FLEETVAULT_PKCS11_TOKEN_LABEL (or _SLOT) and ' +
  'FLEETVAULT_PKCS11_PIN (or _PIN_FILE); docs/hsm.md';

/**
 * `fleetvault keys hsm-init [--json]`: creates the first label of FLEETVAULT_PKCS11_KEY_LABEL in the token
 * when it holds no such key (docs/hsm.md); running it again changes nothing.
 */
export function runHsmInit(settings: Pkcs11Settings, json: boolean, stdout: { write(text: string): unknown }): { created: boolean } {
  const label = settings.keyLabels[0]!;
  const { created } = createPkcs11MasterKey(settings, label);
  stdout.write(
    json
      ? JSON.stringify({ key_label: label, kek_id: pkcs11KekId(label), created }) + '\n'
      : created
        ? `created the AES-256 master key "${label}" in the token (sensitive, not extractable)\n`
        : `the token already holds a key labelled "${label}"; nothing changed\n`,
  );
  return { created };
}
