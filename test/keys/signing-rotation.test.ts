import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CHAIN } from '../../src/audit/audit-chain.js';
import { cliFleetlessContext } from '../../src/core/context.js';
import { MAX_TOKEN_TTL_SECONDS } from '../../src/config.js';
import { SIGNING_KEY_REFRESH_SECONDS } from '../../src/tokens/signing-keys.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** `keys rotate-signing` on one replica, the time moved by an injected clock (docs/design.md §3). */
let t: TestApp;
let now = Date.now();
const clock = { now: () => new Date(now) };
const advance = (seconds: number) => (now += seconds * 1000);

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
const jwksKids = async () =>
  ((await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as { kid: string }[]).map((k) => k.kid);

beforeAll(async () => {
  t = await buildTestApp({ clock });
});

afterAll(async () => {
  await t?.close();
});

describe('signing-key rotation', () => {
  it('publishes the new key at once, signs with it after the publication delay, and verifies old tokens until they expire', async () => {
    const fleet = await t.newFleet();
    const oldKid = kidOf(fleet.token);
    const rotated = await t.deps.services.keys.rotateSigning(cliFleetlessContext);
    expect(rotated.retired).toEqual([oldKid]);
    await t.deps.signingKeys.refresh();

    // Published (old and new) before anyone signs with it, so other replicas verify its tokens from the start.
    expect(await jwksKids()).toEqual([rotated.kid, oldKid]);
    expect(kidOf(await t.tokenFor(fleet.fleetId))).toBe(oldKid);

    advance(SIGNING_KEY_REFRESH_SECONDS);
    await t.deps.signingKeys.refresh();
    const fresh = await t.tokenFor(fleet.fleetId);
    expect(kidOf(fresh)).toBe(rotated.kid);
    expect((await t.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
    expect((await t.call(fresh, 'GET', '/credentials')).statusCode).toBe(200);

    // The old key leaves the JWKS once its last token (signed by a replica not yet refreshed) has expired.
    now = new Date(rotated.retiresAt).getTime() - 1000;
    await t.deps.signingKeys.refresh();
    expect(await jwksKids()).toEqual([rotated.kid, oldKid]);
    now = new Date(rotated.retiresAt).getTime() + 1;
    await t.deps.signingKeys.refresh();
    expect(await jwksKids()).toEqual([rotated.kid]);
    const refused = await t.call(fleet.token, 'GET', '/credentials');
    expect(refused.json()).toMatchObject({ type: '/problems/invalid-token', status: 401 });
    expect((await t.call(fresh, 'GET', '/credentials')).statusCode).toBe(200);
  });

  it('retires the old key the longest token TTL a server may use plus two refresh intervals after the rotation', async () => {
    const before = now;
    const rotated = await t.deps.services.keys.rotateSigning(cliFleetlessContext);
    expect(t.config.tokenTtlSeconds).toBeLessThan(MAX_TOKEN_TTL_SECONDS);
    expect(new Date(rotated.retiresAt).getTime() - before).toBe((MAX_TOKEN_TTL_SECONDS + 2 * SIGNING_KEY_REFRESH_SECONDS) * 1000);
  });

  it('re-reads the keys on its own once an interval has passed on the clock', async () => {
    const rotated = await t.deps.services.keys.rotateSigning(cliFleetlessContext);
    advance(SIGNING_KEY_REFRESH_SECONDS);
    await t.tokenFor((await t.newFleet()).fleetId); // signing starts a refresh: it is due
    await expect.poll(jwksKids).toContain(rotated.kid);
  });

  it('records keys.signing_rotated in the system chain, and keys rotate records keys.master_rotated', async () => {
    await t.deps.services.keys.rotateMaster(cliFleetlessContext);
    const events = await t.deps.store.repos.audit.page(SYSTEM_CHAIN, 0, 100);
    const signing = events.filter((e) => e.action === 'keys.signing_rotated');
    expect(signing).toHaveLength(3);
    expect(signing[0]).toMatchObject({ fleet_id: null, actor: { type: 'cli' }, target: { type: 'key' } });
    expect(Object.keys(signing[0]!.details).sort()).toEqual(['kid', 'retired_kids', 'retires_at']);
    const master = events.filter((e) => e.action === 'keys.master_rotated');
    expect(master).toHaveLength(1);
    expect(master[0]!.details).toEqual({ kek_id: t.masterKeys[0]!.id, data_keys_rewrapped: 0, vault_keys_resealed: 0 });
    expect((await t.deps.services.audit.verify()).filter((report) => report.problem !== undefined)).toEqual([]);
  });
});
