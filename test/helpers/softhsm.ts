import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { acquirePkcs11Module, releasePkcs11Module } from '../../src/crypto/pkcs11-module.js';
import type { Pkcs11Settings } from '../../src/crypto/pkcs11-settings.js';

/** Debian's SoftHSM2 (`apt-get install softhsm2`; .ci/run installs it). */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

let tokenDir: string | undefined;
let homeDir: string | undefined;

/**
 * This test process's SoftHSM2 configuration: a token directory of its own in a temporary directory,
 * named by SOFTHSM2_CONF, which the library reads when it is initialized (so set before any token opens).
 */
function softHsmHome(): string {
  if (tokenDir !== undefined) return tokenDir;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-softhsm-'));
  homeDir = home;
  tokenDir = path.join(home, 'tokens');
  fs.mkdirSync(tokenDir);
  const conf = path.join(home, 'softhsm2.conf');
  fs.writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  return tokenDir;
}

export interface TestToken {
  label: string;
  pin: string;
  /** The slot softhsm2-util put it in. */
  slot: number;
  /** The settings of an app (or CLI) using this token's key `keyLabel` (comma list: the first active). */
  env(keyLabel?: string, provider?: 'pkcs11' | 'file'): Record<string, string>;
  /** The same with SOFTHSM2_CONF, for a child process (the CLI). */
  processEnv(keyLabel?: string): Record<string, string>;
  settings(keyLabel?: string): Pkcs11Settings;
}

/**
 * A fresh token initialized by `softhsm2-util`. Initialize every token a test file needs before the
 * first opens: the library lists the tokens present when it is initialized.
 */
export function initTestToken(label = `fv-${randomBytes(4).toString('hex')}`): TestToken {
  softHsmHome();
  const pin = `pin-${randomBytes(6).toString('hex')}`;
  const output = execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`], {
    env: process.env,
    stdio: 'pipe',
  }).toString();
  // "The token has been initialized and is reassigned to slot 1234567"
  const slot = Number(/slot (\d+)\s*$/.exec(output.trim())?.[1]);
  const env = (keyLabel = 'root-1', provider: 'pkcs11' | 'file' = 'pkcs11') => ({
    FLEETVAULT_MASTER_KEY_PROVIDER: provider,
    FLEETVAULT_PKCS11_MODULE: SOFTHSM_MODULE,
    FLEETVAULT_PKCS11_TOKEN_LABEL: label,
    FLEETVAULT_PKCS11_PIN: pin,
    FLEETVAULT_PKCS11_KEY_LABEL: keyLabel,
  });
  return {
    label,
    pin,
    slot,
    env,
    processEnv: (keyLabel) => ({ ...env(keyLabel), SOFTHSM2_CONF: process.env.SOFTHSM2_CONF! }),
    settings: (keyLabel) => loadConfig(env(keyLabel)).pkcs11!,
  };
}

/** The token directory of this process (to take a token away and bring it back). */
export const softHsmTokenDir = () => softHsmHome();

/**
 * What a token restart does to this process: every session on the token closed (and so its login gone),
 * through the process's one handle on the library, as C_CloseAllSessions from another thread would.
 */
export function dropAllSessions(label: string): void {
  const library = acquirePkcs11Module(SOFTHSM_MODULE);
  try {
    const slot = library.C_GetSlotList(true).find((s) => library.C_GetTokenInfo(s).label.trim() === label);
    if (slot === undefined) throw new Error(`no token ${label}`);
    library.C_CloseAllSessions(slot);
  } finally {
    releasePkcs11Module(SOFTHSM_MODULE);
  }
}

/** Removes this process's tokens (a test file's afterAll, once every app has closed). */
export function removeTestTokens(): void {
  if (homeDir !== undefined) fs.rmSync(homeDir, { recursive: true, force: true });
}
