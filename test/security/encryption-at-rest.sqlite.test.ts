import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapIfEmpty } from '../../src/bootstrap.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/** Every form a secret could take on disk if a layer encoded it instead of sealing it. */
function encodings(secret: string): Buffer[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [
    bytes,
    Buffer.from(bytes.toString('base64')),
    Buffer.from(bytes.toString('base64url')),
    Buffer.from(bytes.toString('hex')),
    Buffer.from(JSON.stringify(secret)),
    Buffer.from(secret, 'utf16le'),
  ];
}

function databaseBytes(dataDir: string): Buffer {
  const files = fs.readdirSync(dataDir).filter((f) => f.startsWith('fleetvault.db'));
  expect(files).toContain('fleetvault.db');
  return Buffer.concat(files.map((f) => fs.readFileSync(path.join(dataDir, f))));
}

const teslaPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
// The base64 body of the PEM (without armour lines) is what would leak if the key were stored plain.
const teslaPemBody = teslaPem
  .split('\n')
  .filter((l) => l.length > 0 && !l.startsWith('-----'))
  .join('');
const longSecrets = Array.from({ length: 3 }, () => randomBytes(48).toString('base64url'));
const rotatedSecret = `rotated-${randomBytes(16).toString('hex')}`;

describe('encryption at rest (raw SQLite bytes)', () => {
  let t: TestApp;
  let adminSecret: string;
  let bootstrapSecret: string;
  let secrets: string[];

  beforeAll(async () => {
    t = await buildTestApp();
    // The first-start admin client, exactly as the server creates it.
    const bootstrap = await bootstrapIfEmpty(t.deps, t.config);
    bootstrapSecret = JSON.parse(fs.readFileSync(bootstrap!.file, 'utf8')).client_secret;
    const fleet = await t.newFleet();
    adminSecret = fleet.clientSecret;
    const bodies: [string, Record<string, string>][] = [
      ['niu', niuExample],
      [
        'tesla',
        {
          name: 'Tesla EU',
          client_id: 'tesla-app-7731',
          region: 'eu',
          app_domain: 'fleet.example.com',
          client_secret: longSecrets[0]!,
          private_key: teslaPem,
        },
      ],
      [
        'openobd',
        {
          name: 'openOBD partner',
          client_id: 'obd-partner-4410',
          cluster_id: '001',
          client_secret: longSecrets[1]!,
          partner_api_key: longSecrets[2]!,
        },
      ],
      ['samsara', { name: 'Samsara org', api_token: 'samsara_api_token_Zq81xv0P' }],
      ['geotab', { name: 'Geotab db', database: 'geotab_db_9921', username: 'ops@example.com', password: 'geotab-pässwörd-Ω' }],
    ];
    const ids: string[] = [];
    for (const [brand, body] of bodies) {
      const res = await t.call(fleet.token, 'POST', `/${brand}/credentials`, body);
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json().id);
    }
    const rotated = await t.call(fleet.token, 'PATCH', `/niu/credentials/${ids[0]}`, { client_secret: rotatedSecret });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().secret_version).toBe(2);
    secrets = [
      'supersecret',
      rotatedSecret,
      teslaPemBody,
      ...teslaPem.split('\n').filter((l) => l.length > 40),
      ...longSecrets,
      'samsara_api_token_Zq81xv0P',
      'geotab-pässwörd-Ω',
    ];
    await t.deps.database.checkpoint();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('finds the names and public fields in the file (the search works)', () => {
    const bytes = databaseBytes(t.dataDir);
    for (const visible of ['NIU fleet Berlin', 'client1', 'tesla-app-7731', 'obd-partner-4410', 'geotab_db_9921', 'ops@example.com']) {
      expect(bytes.includes(Buffer.from(visible)), visible).toBe(true);
    }
  });

  it('finds no secret, in any encoding, in the database file or its WAL', () => {
    const bytes = databaseBytes(t.dataDir);
    for (const secret of secrets) {
      for (const form of encodings(secret)) {
        expect(bytes.includes(form), `${secret.slice(0, 12)}… as ${form.subarray(0, 16).toString()}`).toBe(false);
      }
    }
  });

  it('does not store the bootstrap or any other client secret', () => {
    const bytes = databaseBytes(t.dataDir);
    expect(bootstrapSecret.length).toBeGreaterThanOrEqual(40);
    for (const secret of [bootstrapSecret, adminSecret]) {
      for (const form of encodings(secret)) expect(bytes.includes(form)).toBe(false);
    }
  });

  it('does not store the master key or any plain key material', () => {
    const bytes = databaseBytes(t.dataDir);
    for (const { key } of t.masterKeys) {
      expect(bytes.includes(key)).toBe(false);
      expect(bytes.includes(Buffer.from(key.toString('base64')))).toBe(false);
    }
    expect(bytes.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
  });

  it('still serves the secrets it sealed (a rotation opens the current ones)', async () => {
    const fleet = await t.newFleet();
    const res = await t.call(fleet.token, 'POST', '/niu/credentials', { client_id: 'c2', client_secret: 'another-secret' });
    expect(res.statusCode).toBe(201);
    const again = await t.call(fleet.token, 'PATCH', `/niu/credentials/${res.json().id}`, { client_secret: 'another-secret-2' });
    expect(again.statusCode).toBe(200);
    expect(again.body).not.toContain('another-secret');
  });
});
