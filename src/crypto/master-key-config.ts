import type { Config } from '../config.js';
import { fileMasterKey, type MasterKeyWrapper } from './master-key-provider.js';
import { loadMasterKeys, type MasterKey } from './master-keys.js';
import { pkcs11MasterKey } from './pkcs11-master-key.js';
import { openPkcs11Token } from './pkcs11-token.js';

export interface ConfiguredMasterKeys {
  /** The active key first (the provider FLEETVAULT_MASTER_KEY_PROVIDER names), then every other configured key, which only unwraps. */
  keys: MasterKeyWrapper[];
  /** Set when a development key file was created just now: the caller warns. */
  createdDevelopmentKeyFile?: string;
  /** Closes the token's session (nothing for file keys). */
  close(): void;
}

/**
 * Every master key the configuration names (docs/hsm.md "Moving to the HSM"): the file keys when
 * FLEETVAULT_MASTER_KEYS or _FILE is set (or, with the file provider, the development key), and the
 * token's keys when FLEETVAULT_PKCS11_MODULE is set. Both at once is the configuration of a move:
 * the active provider's first key wraps, `keys rotate` re-wraps every row under it, and the other
 * provider's keys open the rows not yet moved. `fileKeys` replaces the file keys (tests).
 */
export function loadConfiguredMasterKeys(config: Config, fileKeys?: readonly MasterKey[]): ConfiguredMasterKeys {
  const fileConfigured = config.masterKeys !== undefined || config.masterKeyFile !== undefined;
  let createdDevelopmentKeyFile: string | undefined;
  let files: readonly MasterKey[] = fileKeys ?? [];
  if (fileKeys === undefined && (fileConfigured || config.masterKeyProvider === 'file')) {
    const loaded = loadMasterKeys(config);
    files = loaded.keys;
    createdDevelopmentKeyFile = loaded.createdDevelopmentKeyFile;
  }
  const fromFile = files.map(fileMasterKey);
  if (config.pkcs11 === undefined)
    return { keys: fromFile, ...(createdDevelopmentKeyFile && { createdDevelopmentKeyFile }), close: () => {} };
  const token = openPkcs11Token(config.pkcs11);
  const fromToken = config.pkcs11.keyLabels.map((label) => pkcs11MasterKey(token, label));
  return {
    keys: config.masterKeyProvider === 'pkcs11' ? [...fromToken, ...fromFile] : [...fromFile, ...fromToken],
    ...(createdDevelopmentKeyFile && { createdDevelopmentKeyFile }),
    close: () => token.close(),
  };
}
