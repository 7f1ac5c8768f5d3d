import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';
import { type Receiver, startReceiver, until } from '../helpers/webhook-receiver.js';

let t: TestApp;
let receiver: Receiver;
let token: string;
let privateName = false;

const deliver = () => t.deps.webhookDispatcher.tick().then(() => t.deps.webhookDispatcher.settle());
const deliveriesOf = (webhookId: string) =>
  t.deps.database.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('id').execute();

beforeAll(async () => {
  receiver = await startReceiver();
  t = await buildTestApp({
    // Short retries so down-then-up and give-up finish in milliseconds.
    env: {
      FLEETVAULT_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
      FLEETVAULT_WEBHOOK_RETRY_SCHEDULE: '0,0,0',
      FLEETVAULT_WEBHOOK_TIMEOUT_MS: '1000',
    },
    resolveHost: async () => [{ address: privateName ? '10.0.0.8' : '203.0.113.9', family: 4 }],
  });
  ({ token } = await t.newFleet());
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.answer((_r, res) => res.writeHead(200).end('ok'));
});

let names = 0;
/** A credential of a new name (names are unique in a fleet). */
async function newCredential(): Promise<{ id: string }> {
  const res = await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: `niu ${names++}` });
  expect(res.statusCode).toBe(201);
  return res.json();
}

async function subscribe(events: string[] = ['*'], path = '/hook') {
  const res = await t.call(token, 'POST', '/webhooks', { url: receiver.url(path), events });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; secret: string };
}

describe('the dispatcher', () => {
  it('delivers every event kind as Standard Webhooks that the reference verifier accepts; webhook-id is the audit event id', async () => {
    const hook = await subscribe(['*'], '/all');
    const credential = await newCredential();
    const base = `/niu/credentials/${credential.id}`;
    const vehicleBody = { telematics_brand: 'niu', telematics_unit_id: 'U-1', credentials_id: credential.id };
    const changes: [string, string, unknown?][] = [
      ['PATCH', base, { client_secret: 'rotated-secret' }],
      ['GET', `${base}/secrets`],
      ['POST', `${base}/versions/1/restore`],
      ['POST', '/vehicles', vehicleBody],
    ];
    for (const [method, url, body] of changes)
      expect((await t.call(token, method, url, body)).statusCode, `${method} ${url}`).toBeLessThan(300);
    const vehicle = (await t.call(token, 'GET', '/vehicles')).json().items[0];
    for (const [method, url, body] of [
      ['PATCH', `/vehicles/${vehicle.id}`, { name: 'van' }],
      ['DELETE', `/vehicles/${vehicle.id}`],
      ['DELETE', base],
      ['PATCH', `/webhooks/${hook.id}`, { description: 'all' }],
    ] as [string, string, unknown?][]) {
      expect((await t.call(token, method, url, body)).statusCode, `${method} ${url}`).toBeLessThan(300);
    }
    const trail = (await t.call(token, 'GET', '/audit?limit=200')).json().items as { id: string; seq: number; action: string }[];
    // From the subscription's own creation on: its webhook.created event is the first it receives.
    const expected = trail.filter((e) => e.seq >= trail.find((x) => x.action === 'webhook.created')!.seq).reverse();
    expect(expected.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'credential.created',
        'credential.rotated',
        'credential.revealed',
        'vehicle.created',
        'vehicle.updated',
        'vehicle.deleted',
        'credential.deleted',
        'webhook.updated',
      ]),
    );
    await until(() => receiver.received.length >= expected.length, deliver);
    const verifier = new Webhook(hook.secret);
    const got = receiver.received.map((r) => {
      expect(r.headers['content-type']).toBe('application/json');
      const body = verifier.verify(r.body, r.headers) as { type: string; timestamp: string; data: { event_id: string; seq: number } };
      expect(r.headers['webhook-id']).toBe(body.data.event_id);
      return body;
    });
    expect(got.map((b) => b.data.event_id).sort()).toEqual(expected.map((e) => e.id).sort());
    expect(got.map((b) => b.type).sort()).toEqual(expected.map((e) => e.action).sort());
    // Nothing secret on the wire: the credential's secrets and the webhook's own secret.
    const wire = JSON.stringify(receiver.received);
    for (const secret of [niuExample.client_secret, 'rotated-secret', hook.secret, hook.secret.slice(6)])
      expect(wire).not.toContain(secret);
    expect((await deliveriesOf(hook.id)).every((d) => d.state === 'succeeded' && d.attempts === 1 && d.last_status === 200)).toBe(true);
    await t.call(token, 'DELETE', `/webhooks/${hook.id}`);
  });

  it('sends only subscribed actions of its own fleet; a change that rolls back writes no delivery', async () => {
    const hook = await subscribe(['vehicle.created']);
    const other = await t.newFleet();
    await t.call(other.token, 'POST', '/niu/credentials', niuExample);
    const credential = await newCredential();
    // Refused inside its transaction (unknown credential): the audit event and its delivery roll back together.
    const refused = await t.call(token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'U-2',
      credentials_id: '01J00000000000000000000000',
    });
    expect(refused.statusCode).toBe(422);
    expect(await deliveriesOf(hook.id)).toEqual([]);
    await t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: 'U-3', credentials_id: credential.id });
    await until(() => receiver.received.length >= 1, deliver);
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(['vehicle.created']);
    await t.call(token, 'DELETE', `/webhooks/${hook.id}`);
  });

  it('retries a receiver that is down with the same webhook-id, until it is up', async () => {
    const hook = await subscribe(['credential.created']);
    receiver.answer((r, res) => res.writeHead(receiver.received.length <= 2 ? 503 : 204).end());
    await newCredential();
    await until(async () => (await deliveriesOf(hook.id))[0]?.state === 'succeeded', deliver);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(await deliveriesOf(hook.id)).toMatchObject([{ state: 'succeeded', attempts: 3, last_status: 204, last_error: null }]);
    await t.call(token, 'DELETE', `/webhooks/${hook.id}`);
  });

  it('does not follow a redirect, and fails the delivery once the schedule is used up', async () => {
    const hook = await subscribe(['credential.created'], '/moved');
    receiver.answer((r, res) => res.writeHead(r.path === '/moved' ? 302 : 200, { location: receiver.url('/elsewhere') }).end());
    await newCredential();
    await until(async () => (await deliveriesOf(hook.id))[0]?.state === 'failed', deliver);
    expect(receiver.received.map((r) => r.path)).toEqual(['/moved', '/moved', '/moved', '/moved']);
    expect(await deliveriesOf(hook.id)).toMatchObject([
      { state: 'failed', attempts: 4, last_status: 302, last_error: 'HTTP 302 (redirect not followed)' },
    ]);
    await t.call(token, 'DELETE', `/webhooks/${hook.id}`);
  });

  it('signs with both secrets during a rotation\u2019s overlap', async () => {
    const hook = await subscribe(['credential.created']);
    const rotated = (await t.call(token, 'POST', `/webhooks/${hook.id}/secret`)).json();
    await newCredential();
    await until(() => receiver.received.length >= 1, deliver);
    const [r] = receiver.received;
    expect(r!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(hook.secret).verify(r!.body, r!.headers)).not.toThrow();
    expect(() => new Webhook(rotated.secret).verify(r!.body, r!.headers)).not.toThrow();
    await t.call(token, 'DELETE', `/webhooks/${hook.id}`);
  });

  it('checks the host again at each delivery: a name that now resolves to a private address is not reached', async () => {
    const create = await t.call(token, 'POST', '/webhooks', { url: 'https://rebind.test/hook', events: ['credential.created'] });
    expect(create.statusCode).toBe(201);
    privateName = true;
    try {
      await newCredential();
      await deliver();
      const [delivery] = await deliveriesOf(create.json().id);
      expect(delivery).toMatchObject({ state: 'pending', attempts: 1, last_status: null });
      expect(delivery!.last_error).toContain('resolves to a private address');
    } finally {
      privateName = false;
      await t.call(token, 'DELETE', `/webhooks/${create.json().id}`);
    }
  });
});

describe('GET /webhooks/{id}/deliveries and POST …/retry', () => {
  it('lists deliveries newest first, filtered by state, and sends a failed one again with the same webhook-id', async () => {
    const hook = await subscribe(['credential.created']);
    receiver.answer((_r, res) => res.writeHead(500).end('x'.repeat(10_000)));
    await newCredential();
    await until(async () => (await deliveriesOf(hook.id))[0]?.state === 'failed', deliver);
    await newCredential();
    const list = await t.call(token, 'GET', `/webhooks/${hook.id}/deliveries?limit=1`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toHaveLength(1);
    expect(list.json().items[0]).toMatchObject({ state: 'pending', attempts: 0 });
    const failed = (await t.call(token, 'GET', `/webhooks/${hook.id}/deliveries?state=failed`)).json().items;
    expect(failed).toEqual([
      {
        id: expect.any(String),
        event_id: expect.any(String),
        type: 'credential.created',
        state: 'failed',
        attempts: 4,
        last_status: 500,
        last_error: 'HTTP 500',
        next_attempt_at: null,
        delivered_at: null,
      },
    ]);
    // The receiver's answer is read up to 4 KiB and never stored.
    expect(JSON.stringify(await deliveriesOf(hook.id))).not.toContain('xxxx');
    receiver.answer((_r, res) => res.writeHead(200).end());
    receiver.received.length = 0;
    const retried = await t.call(token, 'POST', `/webhooks/${hook.id}/deliveries/${failed[0].id}/retry`);
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ state: 'pending', attempts: 0 });
    await until(async () => (await deliveriesOf(hook.id)).every((d) => d.state === 'succeeded'), deliver);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toContain(failed[0].event_id);
    const again = await t.call(token, 'POST', `/webhooks/${hook.id}/deliveries/${failed[0].id}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json().type).toBe('/problems/conflicting-resource');
    expect((await t.call(token, 'GET', `/webhooks/${hook.id}/deliveries/${failed[0].id}/retry`)).statusCode).toBe(404);
    expect((await t.call(token, 'POST', `/webhooks/${hook.id}/deliveries/01J00000000000000000000000/retry`)).json().type).toBe(
      '/problems/not-found',
    );
    expect((await t.call(token, 'GET', `/webhooks/${hook.id}/deliveries?state=lost`)).json().type).toBe('/problems/validation-failed');
    await t.call(token, 'DELETE', `/webhooks/${hook.id}`);
  });
});
