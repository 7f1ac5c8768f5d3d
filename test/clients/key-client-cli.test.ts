import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsScript } from '../helpers/run-process.js';
import { urlWithSchema } from '../helpers/server-process.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { signEs256 } from '../helpers/key-client.js';

/** `fleetvault key-client create` (docs/design.md §6): the key file it prints works against the API. */
let t: TestApp;
let env: Record<string, string>;
let fleetId: string;

beforeAll(async () => {
  t = await buildTestApp();
  const key = t.masterKeys[0]!;
  env = {
    FLEETVAULT_DATA_DIR: t.dataDir,
    FLEETVAULT_MASTER_KEYS: `${key.id}:${key.key.toString('base64')}`,
    ...(t.storage.databaseUrl && t.storage.pgSchema && { DATABASE_URL: urlWithSchema(t.storage.databaseUrl, t.storage.pgSchema) }),
  };
  ({ fleetId } = await t.newFleet());
});
afterAll(() => t?.close());

describe('fleetvault key-client create', { timeout: 90_000 }, () => {
  it('--json with a generated pair prints High Mobility\u2019s key-file shape; its assertion gets a token', async () => {
    const res = await runTsScript(
      'src/cli.ts',
      ['key-client', 'create', '--fleet', fleetId, '--name', 'svc', '--scopes', 'vehicles:read', '--json'],
      env,
    );
    expect(res.code, res.stderr).toBe(0);
    const keyFile = JSON.parse(res.stdout);
    expect(Object.keys(keyFile).sort()).toEqual(['fleet_id', 'id', 'inserted_at', 'instance_uri', 'private_key', 'scopes', 'token_uri']);
    expect(keyFile).toMatchObject({ fleet_id: fleetId, scopes: ['vehicles:read'], token_uri: `${t.config.publicUrl}/v1/auth_tokens` });
    const assertion = signEs256(
      { ver: 2, iss: keyFile.id, aud: keyFile.instance_uri, iat: Math.floor(Date.now() / 1000), jti: randomUUID() },
      createPrivateKey(keyFile.private_key),
    );
    const token = await t.app.inject({ method: 'POST', url: '/v1/auth_tokens', payload: { assertion } });
    expect(token.statusCode).toBe(201);
  });

  it('--public-key <file> stores the given key and prints no private key; a bad file fails with a message', async () => {
    const file = path.join(t.dataDir, 'public.pem');
    fs.writeFileSync(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }));
    const res = await runTsScript(
      'src/cli.ts',
      ['key-client', 'create', '--fleet', fleetId, '--name', 'own', '--public-key', file, '--json'],
      env,
    );
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).not.toHaveProperty('private_key');
    expect(out.public_jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });

    fs.writeFileSync(file, 'not a key');
    const bad = await runTsScript('src/cli.ts', ['key-client', 'create', '--fleet', fleetId, '--name', 'bad', '--public-key', file], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('/public_key');
  });
});
