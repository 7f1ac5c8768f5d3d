import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import { restrictedClient } from '../helpers/grants.js';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const PUBLIC_URL = 'https://203.0.113.10/hook';

let t: TestApp;
let token: string;
let fleetId: string;

const pointers = (problem: Record<string, unknown>) => (problem.errors as { pointer: string }[]).map((e) => e.pointer);
const create = (body: Record<string, unknown> = {}) => t.call(token, 'POST', '/webhooks', { url: PUBLIC_URL, events: ['*'], ...body });

beforeAll(async () => {
  t = await buildTestApp({
    env: { FLEETVAULT_WEBHOOK_ALLOW_HOSTS: 'allowed.test,127.0.0.1:9' },
    // Names resolve as the tests say: one to a public address, one to a private one, one to nothing.
    resolveHost: async (host) => {
      if (host === 'public.test') return [{ address: '203.0.113.7', family: 4 }];
      if (host === 'internal.test')
        return [
          { address: '203.0.113.7', family: 4 },
          { address: '10.0.0.5', family: 4 },
        ];
      if (host === 'allowed.test') return [{ address: '192.168.1.2', family: 4 }];
      throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  });
  ({ token, fleetId } = await t.newFleet());
});
afterAll(() => t.close());

describe('POST /webhooks', () => {
  it('answers 201 with the view and the secret, shown once and stored sealed only', async () => {
    const res = await create({ events: ['credential.rotated', 'credential.rotated', 'vehicle.created'], description: ' ops ' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(ULID),
      url: PUBLIC_URL,
      events: ['credential.rotated', 'vehicle.created'],
      description: 'ops',
      enabled: true,
      disabled_reason: null,
      created_at: expect.any(String),
      updated_at: body.created_at,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(Buffer.from(body.secret.slice(6), 'base64')).toHaveLength(32);
    expect(res.headers.location).toBe(`/webhooks/${body.id}`);
    const read = await t.call(token, 'GET', `/webhooks/${body.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toContain(body.secret);
    const { secret: _secret, ...view } = body;
    expect(read.json()).toEqual(view);
    // At rest: sealed under the fleet's data key, neither the secret nor its key bytes in any column.
    const rows = await t.deps.database.db.selectFrom('webhook_secrets').selectAll().where('webhook_id', '=', body.id).execute();
    expect(rows).toHaveLength(1);
    const key = Buffer.from(body.secret.slice(6), 'base64');
    const stored = Buffer.concat(rows.flatMap((row) => Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v))))));
    expect(stored.includes(Buffer.from(body.secret))).toBe(false);
    expect(stored.includes(key)).toBe(false);
    expect(rows[0]!.data_key_id).not.toBeNull();
  });

  it('normalises ["*", …] to ["*"] and refuses unknown actions', async () => {
    expect((await create({ events: ['vehicle.created', '*'] })).json().events).toEqual(['*']);
    expect(pointers(expectProblem(await create({ events: ['credential.stolen'] }), 'validation-failed', 422))).toEqual(['/events/0']);
    expect(pointers(expectProblem(await create({ events: [] }), 'validation-failed', 422))).toEqual(['/events']);
  });

  it.each([
    ['http://203.0.113.10/hook', 'must be an https:// URL'],
    ['ftp://203.0.113.10/hook', 'must be an https:// URL'],
    ['https://user:pw@203.0.113.10/hook', 'must not hold a user name or password'],
    ['not a url', 'must be an absolute URL'],
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://[::1]/hook', 'loopback'],
    ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['https://10.1.2.3/hook', 'private'],
    ['https://192.168.0.1/hook', 'private'],
    ['https://[fd00::1]/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['https://[fe80::1]/hook', 'link-local'],
    ['https://224.0.0.1/hook', 'multicast'],
    ['https://0.0.0.0/hook', 'reserved'],
    ['https://internal.test/hook', 'resolves to a private address'],
    ['https://nowhere.test/hook', 'does not resolve'],
  ])('refuses %s (422 at /url: %s)', async (url, why) => {
    const problem = expectProblem(await create({ url }), 'validation-failed', 422);
    expect(problem.errors).toEqual([{ pointer: '/url', detail: expect.stringContaining(why) }]);
  });

  it('admits a host that resolves to public addresses, and allow-listed hosts even private and over http', async () => {
    expect((await create({ url: 'https://public.test/hook' })).statusCode).toBe(201);
    expect((await create({ url: 'http://allowed.test:8080/hook' })).statusCode).toBe(201);
    expect((await create({ url: 'http://127.0.0.1:9/hook' })).statusCode).toBe(201);
    // The allow-list entry names port 9: another port of the same host is not admitted.
    expectProblem(await create({ url: 'http://127.0.0.1:10/hook' }), 'validation-failed', 422);
  });

  it('is refused to a client without webhooks:manage, and a restricted client cannot hold it', async () => {
    const reader = await t.tokenFor(fleetId, ['credentials:read', 'audit:read']);
    expectProblem(await t.call(reader, 'POST', '/webhooks', { url: PUBLIC_URL, events: ['*'] }), 'insufficient-scope', 403);
    await expect(restrictedClient(t, token, { brands: ['niu'] }, ['credentials:read', 'webhooks:manage'])).rejects.toThrow(/422/);
  });
});

describe('GET, PATCH and DELETE /webhooks/{id}', () => {
  it('lists the fleet\u2019s webhooks in pages, never a secret, and not another fleet\u2019s', async () => {
    const other = await t.newFleet();
    const mine = (await create()).json();
    await t.call(other.token, 'POST', '/webhooks', { url: PUBLIC_URL, events: ['*'] });
    const first = await t.call(token, 'GET', '/webhooks?limit=1');
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toHaveLength(1);
    expect(first.json().next_cursor).toEqual(expect.any(String));
    const all = (await t.call(token, 'GET', '/webhooks?limit=200')).json();
    expect(all.items.map((w: { id: string }) => w.id)).toContain(mine.id);
    expect(JSON.stringify(all)).not.toContain('whsec_');
    expect((await t.call(other.token, 'GET', '/webhooks?limit=200')).json().items).toHaveLength(1);
    expectProblem(await t.call(other.token, 'GET', `/webhooks/${mine.id}`), 'not-found', 404);
  });

  it('changes url, events, description and enabled; checks the URL rules again', async () => {
    const { id } = (await create()).json();
    const res = await t.call(token, 'PATCH', `/webhooks/${id}`, {
      url: 'https://public.test/v2',
      events: ['credential.deleted'],
      description: null,
      enabled: false,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ url: 'https://public.test/v2', events: ['credential.deleted'], description: null, enabled: false });
    expect((await t.call(token, 'PATCH', `/webhooks/${id}`, { enabled: true })).json().enabled).toBe(true);
    const refused = expectProblem(await t.call(token, 'PATCH', `/webhooks/${id}`, { url: 'https://10.0.0.1/' }), 'validation-failed', 422);
    expect(pointers(refused)).toEqual(['/url']);
    expect(pointers(expectProblem(await t.call(token, 'PATCH', `/webhooks/${id}`, {}), 'validation-failed', 422))).toEqual(['']);
    expect(pointers(expectProblem(await t.call(token, 'PATCH', `/webhooks/${id}`, { secret: 'x' }), 'validation-failed', 422))).toEqual([
      '/secret',
    ]);
  });

  it('deletes, then answers 404', async () => {
    const { id } = (await create()).json();
    expect((await t.call(token, 'DELETE', `/webhooks/${id}`)).statusCode).toBe(204);
    expectProblem(await t.call(token, 'GET', `/webhooks/${id}`), 'not-found', 404);
    expectProblem(await t.call(token, 'DELETE', `/webhooks/${id}`), 'not-found', 404);
    expectProblem(await t.call(token, 'GET', '/webhooks/not-an-id'), 'not-found', 404);
  });
});

describe('POST /webhooks/{id}/secret', () => {
  it('shows a new secret once; the previous one stays live for 24 h, older ones end now', async () => {
    const created = (await create()).json();
    const first = await t.call(token, 'POST', `/webhooks/${created.id}/secret`);
    expect(first.statusCode).toBe(200);
    const rotated = first.json();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const second = (await t.call(token, 'POST', `/webhooks/${created.id}/secret`)).json();
    const live = await t.deps.store.repos.webhooks.liveSecrets(fleetId, created.id, new Date().toISOString());
    expect(live.map((s) => s.version)).toEqual([3, 2]);
    const opened = await Promise.all(
      live.map((s) => t.deps.keyring.openWebhookSecret(fleetId, created.id, s.version, s.sealed_secret, s.data_key_id)),
    );
    expect(opened).toEqual([second.secret, rotated.secret]);
  });
});

describe('a data-key rotation', () => {
  it('re-seals the webhook secrets under the new key, so they still open once the old key is destroyed', async () => {
    const { id, secret } = (await create()).json();
    const rotated = (await t.call(token, 'POST', `/webhooks/${id}/secret`)).json();
    const result = await t.deps.services.dataKeyRotation.rotateFleet(cliFleetlessContext, fleetId, () => {});
    expect(result.destroyed_data_key_ids).toHaveLength(1);
    const live = await t.deps.store.repos.webhooks.liveSecrets(fleetId, id, new Date().toISOString());
    expect(live.map((s) => s.data_key_id)).toEqual([result.data_key_id, result.data_key_id]);
    const opened = await Promise.all(
      live.map((s) => t.deps.keyring.openWebhookSecret(fleetId, id, s.version, s.sealed_secret, s.data_key_id)),
    );
    expect(opened).toEqual([rotated.secret, secret]);
  });
});

describe('audit events webhook.*', () => {
  it('records create, update, rotation and delete, with the host only and never a secret', async () => {
    const created = (await create({ url: 'https://public.test/path?token=abc' })).json();
    await t.call(token, 'PATCH', `/webhooks/${created.id}`, { description: 'd' });
    const rotated = (await t.call(token, 'POST', `/webhooks/${created.id}/secret`)).json();
    await t.call(token, 'DELETE', `/webhooks/${created.id}`);
    const audit = await t.call(token, 'GET', `/audit?target_id=${created.id}`);
    const events = audit.json().items as { action: string; details: Record<string, unknown> }[];
    expect(events.map((e) => e.action)).toEqual(['webhook.deleted', 'webhook.secret_rotated', 'webhook.updated', 'webhook.created']);
    expect(events[3]!.details).toEqual({ host: 'public.test', events: ['*'] });
    expect(events[2]!.details).toEqual({ fields: ['description'], enabled: true });
    for (const secret of [created.secret, rotated.secret]) expect(audit.body).not.toContain(secret);
    expect(audit.body).not.toContain('token=abc');
  });
});
