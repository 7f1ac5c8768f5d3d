import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import { loadConfig } from '../../src/config.js';
import { createPkcs11MasterKey } from '../../src/crypto/pkcs11-token.js';
import { runTsScript } from '../helpers/run-process.js';
import { dropAllSessions, initTestToken, removeTestTokens, softHsmTokenDir, type TestToken } from '../helpers/softhsm.js';
import { buildTestApp, expectProblem, niuExample } from '../helpers/test-app.js';

/** What stops the start-up with the key in a PKCS#11 token (docs/hsm.md), what the PIN never reaches, and reconnecting. */
let token: TestToken;
/** A token no app of this process logs in to: PKCS#11 login is per application, so a wrong PIN is checked only there. */
let lonely: TestToken;
const refusals: string[] = [];

beforeAll(() => {
  token = initTestToken();
  lonely = initTestToken();
  createPkcs11MasterKey(token.settings(), 'root-1');
  createPkcs11MasterKey(lonely.settings(), 'root-1');
});

async function refusal(env: Record<string, string>): Promise<string> {
  const error = await buildTestApp({ masterKeys: [], env }).then(
    async (app) => {
      await app.close();
      throw new Error('the app started');
    },
    (refused: Error) => refused,
  );
  refusals.push(error.message);
  return error.message;
}

afterAll(removeTestTokens);

describe('start-up refusals name the setting, never the PIN', () => {
  it('a wrong PIN', async () => {
    const wrong = `wrong-${lonely.pin}`;
    const message = await refusal({ ...lonely.env(), FLEETVAULT_PKCS11_PIN: wrong });
    expect(message).toBe('FLEETVAULT_PKCS11_PIN: the token refused the PIN (CKR_PIN_INCORRECT)');
    expect(message).not.toContain(wrong);
  });

  it('a PIN file that cannot be read, then one that holds the PIN (its newline is not part of it)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-pin-'));
    const file = path.join(dir, 'pin');
    const env = { ...token.env(), FLEETVAULT_PKCS11_PIN: '', FLEETVAULT_PKCS11_PIN_FILE: file };
    expect(await refusal(env)).toBe(`FLEETVAULT_PKCS11_PIN_FILE: cannot read ${file} (ENOENT)`);
    fs.writeFileSync(file, `${token.pin}\n`, { mode: 0o400 });
    const app = await buildTestApp({ masterKeys: [], env });
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a missing key, token or module', async () => {
    expect(await refusal(token.env('absent'))).toBe(
      'FLEETVAULT_PKCS11_KEY_LABEL: the token holds no AES key labelled "absent" (create it with: fleetvault keys hsm-init)',
    );
    expect(await refusal({ ...token.env(), FLEETVAULT_PKCS11_TOKEN_LABEL: 'no-such-token' })).toMatch(
      /^FLEETVAULT_PKCS11_TOKEN_LABEL: no token labelled "no-such-token" \(tokens present: /,
    );
    expect(await refusal({ ...token.env(), FLEETVAULT_PKCS11_MODULE: '/nonexistent/libpkcs11.so' })).toBe(
      'FLEETVAULT_PKCS11_MODULE: /nonexistent/libpkcs11.so does not exist (the PKCS#11 library of the HSM vendor)',
    );
    expect(await refusal({ ...token.env(), FLEETVAULT_PKCS11_MODULE: '/etc/hostname' })).toMatch(
      /^FLEETVAULT_PKCS11_MODULE: cannot load \/etc\/hostname as a PKCS#11 library/,
    );
  });

  it('the token found by its slot instead of its label; a slot without it refused', async () => {
    const bySlot = { ...token.env(), FLEETVAULT_PKCS11_TOKEN_LABEL: '', FLEETVAULT_PKCS11_SLOT: String(token.slot) };
    const app = await buildTestApp({ masterKeys: [], env: bySlot });
    await app.close();
    const wrongSlot = token.slot === 1 ? 2 : 1;
    expect(await refusal({ ...bySlot, FLEETVAULT_PKCS11_SLOT: String(wrongSlot) })).toMatch(
      new RegExp(`^FLEETVAULT_PKCS11_SLOT: no token in slot ${wrongSlot} \\(tokens present: `),
    );
  });

  it('an incomplete configuration stops before anything opens', () => {
    expect(() => loadConfig({ FLEETVAULT_MASTER_KEY_PROVIDER: 'pkcs11' })).toThrow(
      'FLEETVAULT_MASTER_KEY_PROVIDER=pkcs11 needs FLEETVAULT_PKCS11_MODULE',
    );
    expect(() => loadConfig({ ...token.env(), FLEETVAULT_PKCS11_PIN_FILE: '/run/pin' })).toThrow(
      'needs one of FLEETVAULT_PKCS11_PIN or FLEETVAULT_PKCS11_PIN_FILE (not both)',
    );
    expect(() => loadConfig({ ...token.env(), FLEETVAULT_PKCS11_TOKEN_LABEL: '' })).toThrow(
      'needs FLEETVAULT_PKCS11_TOKEN_LABEL or FLEETVAULT_PKCS11_SLOT',
    );
  });

  it('the fleetvault command says the same on stderr and exits 1', async () => {
    const wrong = `wrong-${lonely.pin}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-hsm-cli-'));
    const env = { ...lonely.processEnv(), FLEETVAULT_PKCS11_PIN: wrong, FLEETVAULT_DATA_DIR: dataDir, NODE_ENV: 'test' };
    const result = await runTsScript('src/cli.ts', ['keys', 'rotate'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('fleetvault: FLEETVAULT_PKCS11_PIN: the token refused the PIN (CKR_PIN_INCORRECT)\n');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('the PIN reaches no log, error, metric or audit event', () => {
  it('through a whole life: start, writes, a reveal, a rotation, the probes, the metrics', async () => {
    let logs = '';
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((logs += chunk.toString()), done()) });
    const t = await buildTestApp({ masterKeys: [], env: { ...token.env(), LOG_LEVEL: 'trace' }, logger: pino({ level: 'trace' }, sink) });
    try {
      const { token: bearer } = await t.newFleet();
      const created = await t.call(bearer, 'POST', '/niu/credentials', niuExample);
      await t.call(bearer, 'GET', `/niu/credentials/${created.json().id as string}/secrets`);
      await t.deps.services.keys.rotateMaster(cliFleetlessContext);
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const events = JSON.stringify(await t.deps.database.db.selectFrom('audit_events').selectAll().execute());
      const config = JSON.stringify(t.config);
      expect(logs.length).toBeGreaterThan(0);
      for (const [where, text] of Object.entries({ logs, metrics, events, config, refusals: refusals.join('\n') })) {
        expect(text.includes(token.pin) || text.includes(lonely.pin), where).toBe(false);
      }
    } finally {
      await t.close();
    }
  });
});

describe('the token going away and coming back', () => {
  it('reconnects after the token drops every session; /readyz is 503 while the token is away, 200 once back', async () => {
    const t = await buildTestApp({ masterKeys: [], env: token.env() });
    try {
      const { fleetId, token: bearer } = await t.newFleet();
      const id = (await t.call(bearer, 'POST', '/niu/credentials', niuExample)).json().id as string;
      const reveal = () => t.call(bearer, 'GET', `/niu/credentials/${id}/secrets`);

      // A restart of the token: every session and login of this process gone. The next unwrap logs in again.
      dropAllSessions(token.label);
      for (const dataKeyId of t.deps.keyring.cachedDataKeyIds()) t.deps.keyring.forgetDataKey(dataKeyId);
      expect((await reveal()).json().secrets).toEqual({ client_secret: niuExample.client_secret });

      // The token away (its files gone from the library's view): not ready, and says why in one problem.
      const dir = softHsmTokenDir();
      dropAllSessions(token.label);
      fs.renameSync(dir, `${dir}.away`);
      try {
        expectProblem(await t.app.inject({ method: 'GET', url: '/readyz' }), 'service-unavailable', 503);
        expectProblem(await t.app.inject({ method: 'GET', url: '/readyz' }), 'service-unavailable', 503);
      } finally {
        fs.renameSync(`${dir}.away`, dir);
      }
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      for (const dataKeyId of t.deps.keyring.cachedDataKeyIds()) t.deps.keyring.forgetDataKey(dataKeyId);
      expect((await reveal()).json().secrets).toEqual({ client_secret: niuExample.client_secret });
      expect(fleetId).toBeTruthy();
    } finally {
      await t.close();
    }
  });
});
