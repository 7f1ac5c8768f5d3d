import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { MasterKey } from '../../src/crypto/master-keys.js';
import { runTsScript } from './run-process.js';
import { urlWithSchema } from './server-process.js';
import { buildTestApp, expectProblem, type TestApp } from './test-app.js';
import type { TestStorage } from './test-database.js';

/** What a populated vault holds and a restored one must still answer. */
export interface VaultFacts {
  fleetId: string;
  clientId: string;
  clientSecret: string;
  token: string;
  credentialId: string;
  /** client_secret by secret_version, 1 (created) to 3 (current). */
  secrets: Record<number, string>;
  vehicleId: string;
}

/** A fleet with an admin client, a NIU credential rotated twice (versions 1–3 kept) and a vehicle bound to it. */
export async function populateVault(t: TestApp): Promise<VaultFacts> {
  const fleet = await t.newFleet();
  const secrets: Record<number, string> = { 1: 'first-plaintext-s3cret', 2: 'second-plaintext-s3cret', 3: 'third-plaintext-s3cret' };
  const created = await t.call(fleet.token, 'POST', '/niu/credentials', {
    name: 'berlin',
    client_id: 'niu-client',
    client_secret: secrets[1],
  });
  expect(created.statusCode, created.body).toBe(201);
  const credentialId = created.json().id as string;
  for (const version of [2, 3]) {
    const res = await t.call(fleet.token, 'PATCH', `/niu/credentials/${credentialId}`, { client_secret: secrets[version] });
    expect(res.statusCode, res.body).toBe(200);
  }
  const vehicle = await t.call(fleet.token, 'POST', '/vehicles', {
    telematics_brand: 'niu',
    telematics_unit_id: 'unit-1',
    credentials_id: credentialId,
  });
  expect(vehicle.statusCode, vehicle.body).toBe(201);
  return { ...fleet, credentialId, secrets, vehicleId: vehicle.json().id as string };
}

/** The environment the CLI needs to open this app's database with its master key. */
export function cliEnv(storage: TestStorage, dataDir: string, masterKey: MasterKey): Record<string, string> {
  return {
    FLEETVAULT_DATA_DIR: dataDir,
    FLEETVAULT_MASTER_KEYS: `${masterKey.id}:${masterKey.key.toString('base64')}`,
    ...(storage.databaseUrl && storage.pgSchema && { DATABASE_URL: urlWithSchema(storage.databaseUrl, storage.pgSchema) }),
  };
}

export const cli = (args: string[], env: Record<string, string>) => runTsScript('src/cli.ts', args, env, 120_000);

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Opens the restored vault as the server would (same master key) and checks what a user notices: the old token still
 * verifies, the old client still gets a token, every kept version reveals its secret, the vehicle still blocks the
 * credential's deletion.
 */
export async function expectVaultRestored(restored: TestApp, facts: VaultFacts): Promise<void> {
  const list = await restored.call(facts.token, 'GET', '/niu/credentials');
  expect(list.statusCode, list.body).toBe(200);
  expect(list.json().items.map((item: { id: string }) => item.id)).toEqual([facts.credentialId]);

  const token = await restored.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: facts.clientId, client_secret: facts.clientSecret },
  });
  expect(token.statusCode, token.body).toBe(200);
  const fresh = token.json().access_token as string;

  for (const [version, secret] of Object.entries(facts.secrets)) {
    const res = await restored.call(fresh, 'GET', `/niu/credentials/${facts.credentialId}/secrets?version=${version}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ secret_version: Number(version), secrets: { client_secret: secret } });
  }
  const versions = await restored.call(fresh, 'GET', `/niu/credentials/${facts.credentialId}/versions`);
  expect(versions.json().items.map((v: { secret_version: number }) => v.secret_version)).toEqual([3, 2, 1]);
  expectProblem(await restored.call(fresh, 'DELETE', `/niu/credentials/${facts.credentialId}`), 'conflicting-resource', 409);
}

/** A fresh app on the given (restored) storage and data dir, with the source's master key. */
export function openRestored(storage: TestStorage, dataDir: string, masterKey: MasterKey): Promise<TestApp> {
  return buildTestApp({ reuse: { storage, dataDir }, masterKeys: [masterKey] });
}
