import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../../src/audit/audit.service.js';
import { hashClientSecret } from '../../src/clients/client-secrets.js';
import { type Clock, ulidGenerator } from '../../src/core/clock.js';
import { cliFleetlessContext } from '../../src/core/context.js';
import { allScopes } from '../../src/core/scopes.js';
import { randomKey, sodiumReady } from '../../src/crypto/aead.js';
import type { DataKeyRepo, DataKeyRow } from '../../src/crypto/data-keys.repo.js';
import { createKeyring } from '../../src/crypto/keyring.js';
import { fileMasterKey } from '../../src/crypto/master-key-provider.js';
import { loadOrCreateVaultKey } from '../../src/crypto/vault-keys.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import type { DB } from '../../src/db/schema.js';
import { createRepoStore } from '../../src/repos.js';
import { generateSigningKey } from '../../src/tokens/signing-key.js';
import { buildTestApp, expectProblem, newMasterKey, type TestApp } from '../helpers/test-app.js';
import { createTestStorage } from '../helpers/test-database.js';

/**
 * Migration 0006 (data keys with ids of their own, `data_key_id` on every sealed row) upgrading a
 * database that a 0005 vault filled: nothing is lost, every secret still opens, and a data-key
 * rotation afterwards still re-seals them all. The 0005 data is written as the 0005 app wrote it:
 * rows in the 0001-0005 columns, sealed and wrapped by the app's own keyring (whose associated data
 * and wrapping did not change in 0006), vault keys and audit events through the app's own code
 * (their tables did not change in 0006). Then the real app starts on it and applies 0006 itself.
 */

const LAST_BEFORE_0006 = 5;
const masterKey = newMasterKey('upgrade-1');
const clock: Clock = { now: () => new Date('2026-06-01T10:00:00.000Z') };
const ids = ulidGenerator(clock);
const at = (minute: number) => `2026-06-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

interface FixtureCredential {
  id: string;
  fleetId: string;
  brand: string;
  name: string | null;
  fields: Record<string, string>;
  /** Secrets by version; the last is current, the others are kept in credential_secret_versions. */
  secrets: Record<string, string>[];
  /** Who made each version: null for versions made before 0004 (the audit trail). */
  createdBy: string | null;
  status: 'unknown' | 'authorized';
}

const fleetA = ids.next();
const fleetB = ids.next();
const clientId = ids.next();
const clientSecret = 'pre-upgrade-client-secret-0123456789abcdefghijk';
const actor = JSON.stringify({ type: 'client', id: clientId });
const credentials: FixtureCredential[] = [
  {
    id: ids.next(),
    fleetId: fleetA,
    brand: 'niu',
    name: 'NIU Berlin',
    fields: { client_id: 'niu-berlin' },
    secrets: [{ client_secret: 'berlin-v1' }, { client_secret: 'berlin-v2' }, { client_secret: 'berlin-v3' }],
    createdBy: actor,
    status: 'authorized',
  },
  {
    id: ids.next(),
    fleetId: fleetA,
    brand: 'tesla',
    name: null,
    fields: { client_id: 'tesla-app', region: 'eu' },
    secrets: [{ client_secret: 'tesla-only' }],
    createdBy: null,
    status: 'unknown',
  },
  {
    // Same name in another fleet: the per-fleet keys must not be mixed up between fleets.
    id: ids.next(),
    fleetId: fleetB,
    brand: 'niu',
    name: 'NIU Berlin',
    fields: { client_id: 'niu-berlin-b' },
    secrets: [{ client_secret: 'fleet-b-v1' }, { client_secret: 'fleet-b-v2' }],
    createdBy: null,
    status: 'unknown',
  },
];
const [berlin, tesla] = credentials as [FixtureCredential, FixtureCredential];
const vehicleId = ids.next();

let t: TestApp | undefined;
let token: string;
/** The 0005 bytes of every sealed value and wrapped key, to prove 0006 copied them untouched. */
const before = { wrappedKeys: new Map<string, Buffer>(), sealed: new Map<string, Buffer>() };

async function insertRow(db: Kysely<DB>, table: string, row: Record<string, unknown>): Promise<void> {
  const columns = Object.keys(row);
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) VALUES (${sql.join(Object.values(row))})`.execute(
    db,
  );
}

/** A database at schema 0005 holding two fleets, their clients, credentials with kept versions, a vehicle and audit events. */
async function buildSchema0005(dataDir: string, storage: Awaited<ReturnType<typeof createTestStorage>>): Promise<void> {
  const url = storage.databaseUrl ?? `sqlite:${path.join(dataDir, 'fleetvault.db')}`;
  const database = openDatabase(url, storage.pgSchema === undefined ? {} : { pgSchema: storage.pgSchema });
  try {
    const applied = await migrate(
      database,
      readMigrations(database.engine).filter((m) => m.version <= LAST_BEFORE_0006),
    );
    expect(applied).toEqual([1, 2, 3, 4, 5]);
    const { db } = database;
    const store = createRepoStore(database);

    // Sealing through the app's keyring: at 0005 a fleet had exactly one key, found by fleet id.
    const dataKeyRows = new Map<string, DataKeyRow>();
    const dataKeys = { active: async (fleetId: string) => dataKeyRows.get(fleetId) } as unknown as DataKeyRepo;
    const keyring = createKeyring({ masterKeys: [fileMasterKey(masterKey)], repos: { dataKeys, vaultKeys: store.repos.vaultKeys } });
    const keyDeps = { vaultKeys: store.repos.vaultKeys, keyring, clock, ids };
    await loadOrCreateVaultKey(keyDeps, 'token-signing', generateSigningKey);
    const hashKey = (await loadOrCreateVaultKey(keyDeps, 'client-secret-hash', () => ({ material: randomKey() }))).material;
    const auditKey = (await loadOrCreateVaultKey(keyDeps, 'audit-hmac', () => ({ material: randomKey() }))).material;
    const audit = createAuditTrail({ key: auditKey, clock, ids, repos: store.repos });
    const cli = { type: 'cli' as const, id: 'cli' };
    // Schema 0005 has no webhook outbox (migration 0010): the events of that time had no deliveries to write.
    const repos = { ...store.repos, webhookDeliveries: { ...store.repos.webhookDeliveries, enqueue: async () => 0 } };

    for (const [fleetId, name] of [
      [fleetA, 'Fleet A'],
      [fleetB, 'Fleet B'],
    ] as const) {
      await insertRow(db, 'fleets', { id: fleetId, name, created_at: at(0) });
      const key = keyring.newWrappedDataKey(fleetId, at(0), fleetId);
      dataKeyRows.set(fleetId, key);
      before.wrappedKeys.set(fleetId, key.wrapped_key);
      // The 0005 table: keyed by the fleet, no id of its own.
      await insertRow(db, 'fleet_data_keys', { fleet_id: fleetId, kek_id: key.kek_id, wrapped_key: key.wrapped_key, created_at: at(0) });
      await audit.append(repos, {
        fleetId: null,
        actor: cli,
        action: 'fleet.created',
        target: { type: 'fleet', id: fleetId },
        requestId: null,
        details: { name },
      });
    }

    await insertRow(db, 'api_clients', {
      id: clientId,
      fleet_id: fleetA,
      name: 'pre-upgrade admin',
      kind: 'secret',
      secret_hash: hashClientSecret(hashKey, clientSecret),
      public_jwk: null,
      scopes: allScopes.join(' '),
      created_at: at(1),
      deleted_at: null,
    });
    await audit.append(repos, {
      fleetId: fleetA,
      actor: cli,
      action: 'client.created',
      target: { type: 'client', id: clientId },
      requestId: null,
      details: { kind: 'secret', scopes: [...allScopes] },
    });

    for (const c of credentials) {
      const current = c.secrets.length;
      const sealed: Buffer[] = [];
      for (const [index, secrets] of c.secrets.entries()) {
        sealed.push((await keyring.sealSecrets(dataKeys, c.fleetId, c.id, index + 1, secrets)).sealed);
        before.sealed.set(`${c.id}:${index + 1}`, sealed[index]!);
      }
      await insertRow(db, 'credentials', {
        id: c.id,
        fleet_id: c.fleetId,
        brand: c.brand,
        name: c.name,
        name_key: c.name === null ? '' : c.name.toLowerCase(),
        name_missing: c.name === null ? 1 : 0,
        fields: JSON.stringify(c.fields),
        sealed_secrets: sealed[current - 1],
        secret_version: current,
        created_at: at(3),
        updated_at: at(2 + current),
        secret_updated_at: at(2 + current),
        secret_created_by: c.createdBy,
        status: c.status,
        status_checked_at: c.status === 'authorized' ? at(9) : null,
      });
      for (let version = 1; version < current; version++) {
        await insertRow(db, 'credential_secret_versions', {
          credential_id: c.id,
          fleet_id: c.fleetId,
          secret_version: version,
          sealed_secrets: sealed[version - 1],
          created_at: at(2 + version),
          created_by: c.createdBy,
        });
      }
      if (c.fleetId === fleetA) {
        const event = { fleetId: fleetA, actor: { type: 'client' as const, id: clientId }, requestId: null };
        const target = { type: 'credential', id: c.id, brand: c.brand };
        await audit.append(repos, { ...event, action: 'credential.created', target, details: { secret_version: 1 } });
        for (let v = 2; v <= current; v++) {
          await audit.append(repos, {
            ...event,
            action: 'credential.rotated',
            target,
            details: { secret_version: v, fields: ['client_secret'] },
          });
        }
      }
    }

    await insertRow(db, 'vehicles', {
      id: vehicleId,
      fleet_id: fleetA,
      telematics_brand: 'niu',
      telematics_unit_id: 'NIU-UNIT-1',
      credentials_id: berlin.id,
      vin: 'WVWZZZ1JZXW000001',
      name: 'Scooter 1',
      created_at: at(10),
      updated_at: at(10),
    });
    await audit.append(repos, {
      fleetId: fleetA,
      actor: { type: 'client', id: clientId },
      action: 'vehicle.created',
      target: { type: 'vehicle', id: vehicleId },
      requestId: null,
      details: { credentials_id: berlin.id },
    });
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  await sodiumReady();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-upgrade-'));
  const storage = await createTestStorage();
  try {
    await buildSchema0005(dataDir, storage);
    // The real start-up applies 0006 (and any later migration) to the 0005 database.
    t = await buildTestApp({ reuse: { dataDir, storage }, masterKeys: [masterKey] });
  } catch (error) {
    await storage.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  token = await preUpgradeClientToken();
});

afterAll(async () => {
  await t?.close();
});

const app = () => t!;

/** A token for the client made at 0005: its secret hash and the vault keys came through the upgrade. */
async function preUpgradeClientToken(): Promise<string> {
  const res = await app().app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().access_token as string;
}
const url = (c: FixtureCredential) => `/${c.brand}/credentials/${c.id}`;
const tokenOf = async (c: FixtureCredential) =>
  c.fleetId === fleetA ? token : app().tokenFor(c.fleetId, ['credentials:read', 'credentials:reveal']);

async function keyIdsOf(fleetId: string): Promise<string[]> {
  return (await app().deps.store.repos.dataKeys.ofFleet(fleetId)).map((k) => k.id);
}

/** The data key each sealed row names, by `credential id:version`. */
async function sealedRowKeys(): Promise<Record<string, string | null>> {
  const { db } = app().deps.database;
  const rows = [
    ...(await db.selectFrom('credentials').select(['id as credential_id', 'secret_version', 'data_key_id']).execute()),
    ...(await db.selectFrom('credential_secret_versions').select(['credential_id', 'secret_version', 'data_key_id']).execute()),
  ];
  return Object.fromEntries(rows.map((r) => [`${r.credential_id}:${Number(r.secret_version)}`, r.data_key_id]));
}

/** Every kept and current version of every fixture credential, revealed through the API. */
async function expectAllReveal(): Promise<void> {
  for (const c of credentials) {
    const bearer = await tokenOf(c);
    const { items } = (await app().call(bearer, 'GET', `${url(c)}/versions`)).json() as { items: { secret_version: number }[] };
    expect(items.length).toBeGreaterThanOrEqual(c.secrets.length);
    for (const { secret_version } of items) {
      const res = await app().call(bearer, 'GET', `${url(c)}/secrets?version=${secret_version}`);
      expect(res.statusCode, res.body).toBe(200);
      // Restored versions repeat an earlier secret: whatever the version, it is one the fixture sealed.
      expect(c.secrets).toContainEqual(res.json().secrets);
    }
  }
}

describe('migration 0006 on a database filled at schema 0005', () => {
  it('is applied by the start-up, giving each fleet its one key under the fleet id, its bytes untouched', async () => {
    const { db } = app().deps.database;
    const versions = (await db.selectFrom('schema_migrations').select('version').orderBy('version').execute()).map((r) => r.version);
    expect(versions.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    const keys = await db.selectFrom('fleet_data_keys').select(['id', 'fleet_id', 'kek_id', 'wrapped_key', 'created_at']).execute();
    expect(keys.map((k) => ({ ...k, wrapped_key: Buffer.from(k.wrapped_key) })).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [fleetA, fleetB].map((fleetId) => ({
        id: fleetId,
        fleet_id: fleetId,
        kek_id: masterKey.id,
        wrapped_key: before.wrappedKeys.get(fleetId),
        created_at: at(0),
      })),
    );
  });

  it('names on every current and kept sealed row its own fleet’s key, and leaves the ciphertext as it was', async () => {
    const expected: Record<string, string> = {};
    for (const c of credentials) for (let v = 1; v <= c.secrets.length; v++) expected[`${c.id}:${v}`] = c.fleetId;
    expect(await sealedRowKeys()).toEqual(expected);
    const { db } = app().deps.database;
    const rows = [
      ...(await db.selectFrom('credentials').select(['id as credential_id', 'secret_version', 'sealed_secrets']).execute()),
      ...(await db.selectFrom('credential_secret_versions').select(['credential_id', 'secret_version', 'sealed_secrets']).execute()),
    ];
    expect(rows).toHaveLength(before.sealed.size);
    for (const r of rows) {
      expect(Buffer.from(r.sealed_secrets)).toEqual(before.sealed.get(`${r.credential_id}:${Number(r.secret_version)}`));
    }
  });

  it('serves every credential with its fields, name, version, status and vehicle count', async () => {
    for (const c of credentials) {
      const res = await app().call(await tokenOf(c), 'GET', url(c));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        ...c.fields,
        id: c.id,
        brand: c.brand,
        name: c.name,
        secret_version: c.secrets.length,
        vehicle_count: c === berlin ? 1 : 0,
        created_at: at(3),
        updated_at: at(2 + c.secrets.length),
        secret_updated_at: at(2 + c.secrets.length),
        status: c.status,
        status_checked_at: c.status === 'authorized' ? at(9) : null,
      });
    }
    const list = (await app().call(token, 'GET', '/niu/credentials')).json().items as { id: string }[];
    expect(list.map((c) => c.id)).toEqual([berlin.id]);
  });

  it('reveals the current secrets and every kept version', async () => {
    for (const c of credentials) {
      const bearer = await tokenOf(c);
      const current = await app().call(bearer, 'GET', `${url(c)}/secrets`);
      expect(current.statusCode, current.body).toBe(200);
      expect(current.json()).toMatchObject({ id: c.id, secret_version: c.secrets.length, secrets: c.secrets.at(-1) });
      for (const [index, secrets] of c.secrets.entries()) {
        const res = await app().call(bearer, 'GET', `${url(c)}/secrets?version=${index + 1}`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ secret_version: index + 1, secrets });
      }
    }
  });

  it('lists the kept versions with who made each', async () => {
    const res = await app().call(token, 'GET', `${url(berlin)}/versions`);
    expect(res.statusCode, res.body).toBe(200);
    const made = { type: 'client', id: clientId };
    expect(res.json().items).toEqual([
      { secret_version: 3, state: 'current', created_by: made, created_at: at(5) },
      { secret_version: 2, state: 'previous', created_by: made, created_at: at(4) },
      { secret_version: 1, state: 'retained', created_by: made, created_at: at(3) },
    ]);
    const single = (await app().call(token, 'GET', `${url(tesla)}/versions`)).json().items;
    expect(single).toEqual([{ secret_version: 1, state: 'current', created_by: null, created_at: at(3) }]);
  });

  it('keeps the vehicle on its credential: the credential still cannot be deleted (409)', async () => {
    const vehicle = await app().call(token, 'GET', `/vehicles/${vehicleId}`);
    expect(vehicle.statusCode, vehicle.body).toBe(200);
    expect(vehicle.json()).toMatchObject({ id: vehicleId, telematics_brand: 'niu', credentials_id: berlin.id, vin: 'WVWZZZ1JZXW000001' });
    const problem = expectProblem(await app().call(token, 'DELETE', url(berlin)), 'conflicting-resource', 409);
    expect(problem).toMatchObject({ vehicle_count: 1, vehicle_ids: [vehicleId] });
    expect((await app().call(token, 'GET', url(berlin))).statusCode).toBe(200);
  });

  it('keeps the audit chains verifiable', async () => {
    const reports = await app().deps.services.audit.verify();
    expect(reports.map((r) => r.problem)).toEqual(reports.map(() => undefined));
    const byChain = Object.fromEntries(reports.map((r) => [r.fleet_id ?? 'system', r.events]));
    // At least what the fixture wrote (fleet A: client, 3 + 1 credential and 1 vehicle events), plus the tests' own since.
    expect(byChain.system).toBeGreaterThanOrEqual(2);
    expect(byChain[fleetA]).toBeGreaterThanOrEqual(6);
  });

  it('restores a version sealed before the upgrade, moving the replaced one to the kept versions under the same key', async () => {
    const etag = (await app().call(token, 'GET', url(berlin))).headers.etag as string;
    const res = await app().call(token, 'POST', `${url(berlin)}/versions/1/restore`, undefined, { 'if-match': etag });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: berlin.id, secret_version: 4 });
    expect((await app().call(token, 'GET', `${url(berlin)}/secrets`)).json()).toMatchObject({
      secret_version: 4,
      secrets: { client_secret: 'berlin-v1' },
    });
    const keys = await sealedRowKeys();
    expect([keys[`${berlin.id}:3`], keys[`${berlin.id}:4`]]).toEqual([fleetA, fleetA]);
  });

  it('is re-sealed by a data-key rotation afterwards, every version still revealing, the old key destroyed', async () => {
    const results = await app().deps.services.dataKeyRotation.rotateAll(cliFleetlessContext, () => {});
    expect(results.map((r) => [r.fleet_id, r.resumed, r.destroyed_data_key_ids])).toEqual([
      [fleetA, false, [fleetA]],
      [fleetB, false, [fleetB]],
    ]);
    const newKeys: Record<string, string> = {};
    for (const fleetId of [fleetA, fleetB]) {
      const keys = await keyIdsOf(fleetId);
      expect(keys).toHaveLength(1);
      expect(keys[0]).not.toBe(fleetId);
      newKeys[fleetId] = keys[0]!;
    }
    const rows = await sealedRowKeys();
    expect(Object.keys(rows)).toHaveLength(before.sealed.size + 1);
    for (const [row, key] of Object.entries(rows)) {
      const owner = credentials.find((c) => row.startsWith(`${c.id}:`))!;
      expect(key, row).toBe(newKeys[owner.fleetId]);
    }
    // The rotation's restart path: a fresh process has only the wrapped keys, nothing cached.
    await app().close({ keepData: true });
    t = await buildTestApp({ reuse: { dataDir: app().dataDir, storage: app().storage }, masterKeys: [masterKey] });
    token = await preUpgradeClientToken();
    await expectAllReveal();
    const etag = (await app().call(token, 'GET', url(berlin))).headers.etag as string;
    const restored = await app().call(token, 'POST', `${url(berlin)}/versions/2/restore`, undefined, { 'if-match': etag });
    expect(restored.statusCode, restored.body).toBe(200);
    expect((await app().call(token, 'GET', `${url(berlin)}/secrets`)).json()).toMatchObject({
      secret_version: 5,
      secrets: { client_secret: 'berlin-v2' },
    });
    const reports = await app().deps.services.audit.verify();
    expect(reports.map((r) => r.problem)).toEqual(reports.map(() => undefined));
  });
});
