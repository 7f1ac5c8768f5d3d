import fs from 'node:fs';
import { z } from 'zod';
import { MasterKeyError } from './master-keys.js';

/** Where the PKCS#11 master keys are (docs/hsm.md); the PIN is read through `pin()` only, so no serialized config holds it. */
export interface Pkcs11Settings {
  readonly module: string;
  readonly tokenLabel: string | undefined;
  readonly slot: number | undefined;
  /** The labels of the token's master keys, the first active (wraps), the others unwrap only. */
  readonly keyLabels: readonly string[];
  readonly pinFile: string | undefined;
  pin(): string;
}

/** FLEETVAULT_PKCS11_KEY_LABEL: labels, the first active; each is what a row's kek_id holds after `pkcs11:`. */
export const keyLabelsSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}(,[A-Za-z0-9._-]{1,64})*$/, 'must be key labels of 1-64 letters, digits, . _ or -, comma-separated');

export interface Pkcs11Environment {
  FLEETVAULT_MASTER_KEY_PROVIDER: 'file' | 'pkcs11';
  FLEETVAULT_PKCS11_MODULE?: string | undefined;
  FLEETVAULT_PKCS11_TOKEN_LABEL?: string | undefined;
  FLEETVAULT_PKCS11_SLOT?: number | undefined;
  FLEETVAULT_PKCS11_PIN?: string | undefined;
  FLEETVAULT_PKCS11_PIN_FILE?: string | undefined;
  FLEETVAULT_PKCS11_KEY_LABEL: string;
}

/**
 * The PKCS#11 settings, or undefined when FLEETVAULT_PKCS11_MODULE is not set; `problems` lists what
 * is missing (the caller stops the start-up with them). The PIN is kept in a closure, never in a field.
 */
export function pkcs11SettingsFrom(e: Pkcs11Environment): { settings: Pkcs11Settings | undefined; problems: string[] } {
  const problems: string[] = [];
  const moduleSet = e.FLEETVAULT_PKCS11_MODULE !== undefined;
  if (e.FLEETVAULT_MASTER_KEY_PROVIDER === 'pkcs11' && !moduleSet) {
    problems.push('FLEETVAULT_MASTER_KEY_PROVIDER=pkcs11 needs FLEETVAULT_PKCS11_MODULE (the path of the PKCS#11 library)');
  }
  if (!moduleSet) return { settings: undefined, problems };
  if (e.FLEETVAULT_PKCS11_TOKEN_LABEL === undefined && e.FLEETVAULT_PKCS11_SLOT === undefined) {
    problems.push('FLEETVAULT_PKCS11_MODULE needs FLEETVAULT_PKCS11_TOKEN_LABEL or FLEETVAULT_PKCS11_SLOT (which token)');
  }
  if ((e.FLEETVAULT_PKCS11_PIN === undefined) === (e.FLEETVAULT_PKCS11_PIN_FILE === undefined)) {
    problems.push('FLEETVAULT_PKCS11_MODULE needs one of FLEETVAULT_PKCS11_PIN or FLEETVAULT_PKCS11_PIN_FILE (not both)');
  }
  const pinText = e.FLEETVAULT_PKCS11_PIN;
  const pinFile = e.FLEETVAULT_PKCS11_PIN_FILE;
  return {
    problems,
    settings: Object.freeze({
      module: e.FLEETVAULT_PKCS11_MODULE!,
      tokenLabel: e.FLEETVAULT_PKCS11_TOKEN_LABEL,
      slot: e.FLEETVAULT_PKCS11_SLOT,
      keyLabels: Object.freeze(e.FLEETVAULT_PKCS11_KEY_LABEL.split(',')),
      pinFile,
      pin: () => pinText ?? readPinFile(pinFile!),
    }),
  };
}

/** The file's first line (a mounted secret often ends with a newline, which is not part of the PIN). */
function readPinFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
  } catch (error) {
    throw new MasterKeyError(`FLEETVAULT_PKCS11_PIN_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
