import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KEY_BYTES } from './aead.js';

/** A key-encryption key. The first of a list is the active one; the others only unwrap. */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/** Parses `id:base64` pairs separated by commas or new lines. */
export function parseMasterKeys(text: string, source: string): MasterKey[] {
  const entries = text
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0 && !part.startsWith('#'));
  if (entries.length === 0) throw new MasterKeyError(`${source}: no master key found`);
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw new MasterKeyError(`${source}: entry ${index + 1} must be "id:base64" with an id of 1-64 letters, digits, '.', '_' or '-'`);
    }
    if (seen.has(id)) throw new MasterKeyError(`${source}: master key id "${id}" appears twice`);
    seen.add(id);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new MasterKeyError(`${source}: master key "${id}" must decode to ${KEY_BYTES} bytes, got ${key.length}`);
    }
    return { id, key };
  });
}

export interface MasterKeySource {
  masterKeys: string | undefined;
  masterKeyFile: string | undefined;
  nodeEnv: string;
  dataDir: string;
}

export interface LoadedMasterKeys {
  keys: MasterKey[];
  /** Set when a development key file was created just now: the caller warns. */
  createdDevelopmentKeyFile?: string;
}

/**
 * Master keys from FLEETVAULT_MASTER_KEYS, else FLEETVAULT_MASTER_KEY_FILE, else (outside
 * production) `<data dir>/master.key`, created with mode 0600 on first start.
 */
export function loadMasterKeys(source: MasterKeySource): LoadedMasterKeys {
  if (source.masterKeys !== undefined) {
    return { keys: parseMasterKeys(source.masterKeys, 'FLEETVAULT_MASTER_KEYS') };
  }
  if (source.masterKeyFile !== undefined) {
    let text: string;
    try {
      if (source.nodeEnv === 'production') refuseSharedKeyFile(source.masterKeyFile);
      text = fs.readFileSync(source.masterKeyFile, 'utf8');
    } catch (error) {
      if (error instanceof MasterKeyError) throw error;
      throw new MasterKeyError(
        `FLEETVAULT_MASTER_KEY_FILE: cannot read ${source.masterKeyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    return { keys: parseMasterKeys(text, 'FLEETVAULT_MASTER_KEY_FILE') };
  }
  if (source.nodeEnv === 'production') {
    throw new MasterKeyError('NODE_ENV=production needs a master key: set FLEETVAULT_MASTER_KEYS or FLEETVAULT_MASTER_KEY_FILE');
  }
  const file = path.join(source.dataDir, 'master.key');
  if (fs.existsSync(file)) {
    return { keys: parseMasterKeys(fs.readFileSync(file, 'utf8'), file) };
  }
  // The data directory holds the key and the database: nobody else lists or enters it.
  fs.mkdirSync(source.dataDir, { recursive: true, mode: 0o700 });
  const line = `dev-${randomBytes(4).toString('hex')}:${randomBytes(KEY_BYTES).toString('base64')}\n`;
  // 'wx' fails if another process created the file in the meantime, rather than overwrite its key.
  fs.writeFileSync(file, line, { mode: 0o600, flag: 'wx' });
  return { keys: parseMasterKeys(line, file), createdDevelopmentKeyFile: file };
}

/**
 * In production the key file must be the owner's alone, like the ones fleetvault writes (0600):
 * a key readable by group or others opens every secret. Mounted secrets need a mode
 * such as Kubernetes' `defaultMode: 0400`.
 */
function refuseSharedKeyFile(file: string): void {
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o044) !== 0) {
    throw new MasterKeyError(
      `FLEETVAULT_MASTER_KEY_FILE: ${file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); ` +
        `NODE_ENV=production needs it readable by its owner only (chmod 600 ${file})`,
    );
  }
}
