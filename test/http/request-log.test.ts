import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** Every log line the app writes, at the most verbose level unless told, through the production logger setup. */
function memoryLogger(level = 'trace') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

describe('request log', () => {
  const { logger, lines } = memoryLogger();
  let t: TestApp;
  let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
  /** Values that must never reach a log line. */
  const secrets: string[] = [];
  const known = (value: string) => (secrets.push(value), value);

  beforeAll(async () => {
    t = await buildTestApp({ logger });
    fleet = await t.newFleet();
    secrets.push(fleet.clientSecret, fleet.token);
  });
  afterAll(() => t.close());

  it('never contains a secret, a client secret or a token, whatever route it was sent to', async () => {
    const { app } = t;
    const basic = Buffer.from(`${fleet.clientId}:${fleet.clientSecret}`).toString('base64');
    const cookie = known(secret('cookie'));
    // The token endpoint, every way a client authenticates, and failures.
    const basicToken = await app.inject({
      method: 'POST',
      url: '/oauth/token?grant_type=client_credentials',
      headers: { authorization: `Basic ${basic}`, cookie: `sid=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(basicToken.statusCode, basicToken.body).toBe(200);
    known(basicToken.json().access_token);
    const form = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=${fleet.clientId}&client_secret=${fleet.clientSecret}`,
    });
    expect(form.statusCode).toBe(200);
    known(form.json().access_token);
    const wrong = known(secret('wrong-client-secret'));
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: wrong },
        })
      ).statusCode,
    ).toBe(401);
    const assertion = known(secret('assertion'));
    await app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, client_assertion: assertion },
    });

    // One credential per brand, each secret field with a known value; then every verb on it.
    const bodies: Record<string, Record<string, string>> = {
      niu: { client_id: 'niu-1', client_secret: known(secret('niu')) },
      'mercedes-benz': { client_id: 'mb-1', client_secret: known(secret('mb')) },
      segway: { client_id: 'E-seg-1', client_secret: known(secret('segway')) },
      tesla: { client_id: 'tesla-1', region: 'eu', client_secret: known(secret('tesla')), private_key: known(pem()) },
      'high-mobility': { client_id: 'hm-1', environment: 'sandbox', private_key: known(pem()), key_id: known(secret('hm-key-id')) },
      openobd: { client_id: 'obd-1', cluster_id: '001', client_secret: known(secret('obd')), partner_api_key: known(secret('partner')) },
      smartcar: { client_id: 'sc-1', client_secret: known(secret('smartcar')) },
      enode: { client_id: 'en-1', environment: 'sandbox', client_secret: known(secret('enode')) },
      geotab: { database: 'db', username: 'ops', password: known(secret('geotab')) },
      samsara: { api_token: known(secret('samsara')) },
    };
    const ids: Record<string, string> = {};
    for (const [brand, body] of Object.entries(bodies)) {
      const created = await t.call(fleet.token, 'POST', `/${brand}/credentials`, body, { 'idempotency-key': `k-${brand}` });
      expect(created.statusCode, created.body).toBe(201);
      ids[brand] = created.json().id;
      expect((await t.call(fleet.token, 'GET', `/${brand}/credentials/${ids[brand]}`)).statusCode).toBe(200);
      expect((await t.call(fleet.token, 'GET', `/${brand}/credentials?limit=5`)).statusCode).toBe(200);
    }
    expect((await t.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
    const rotated = await t.call(fleet.token, 'PATCH', `/niu/credentials/${ids.niu}`, { client_secret: known(secret('niu-rotated')) });
    expect(rotated.statusCode).toBe(200);
    // Refused bodies carry secrets too: an unknown field, a field PATCH may not change, a duplicate.
    expect(
      (await t.call(fleet.token, 'PATCH', `/niu/credentials/${ids.niu}`, { client_id: 'x', client_secret: known(secret('refused')) }))
        .statusCode,
    ).toBe(422);
    expect(
      (await t.call(fleet.token, 'POST', '/niu/credentials', { client_id: 'x', client_secrett: known(secret('typo')) })).statusCode,
    ).toBe(422);
    expect((await t.call(fleet.token, 'GET', `/niu/credentials?client_secret=${known(secret('query'))}`)).statusCode).toBe(422);
    expect(
      (await t.call(fleet.token, 'POST', '/samsara/credentials', { api_token: 'x'.repeat(70_000) + known(secret('large')) })).statusCode,
    ).toBe(413);

    // Vehicles, all verbs.
    const vehicle = await t.call(fleet.token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'U-1',
      credentials_id: ids.niu,
    });
    expect(vehicle.statusCode).toBe(201);
    const vehicleId = vehicle.json().id as string;
    expect((await t.call(fleet.token, 'GET', '/vehicles')).statusCode).toBe(200);
    expect((await t.call(fleet.token, 'GET', `/vehicles/${vehicleId}`)).statusCode).toBe(200);
    expect((await t.call(fleet.token, 'PATCH', `/vehicles/${vehicleId}`, { name: 'Scooter 1' })).statusCode).toBe(200);
    expect((await t.call(fleet.token, 'DELETE', `/niu/credentials/${ids.niu}`)).statusCode).toBe(409);
    expect((await t.call(fleet.token, 'DELETE', `/vehicles/${vehicleId}`)).statusCode).toBe(204);
    for (const [brand, id] of Object.entries(ids)) {
      expect((await t.call(fleet.token, 'DELETE', `/${brand}/credentials/${id}`)).statusCode).toBe(204);
    }
    // Public routes, and a forged bearer token.
    for (const url of ['/brands', '/healthz', '/readyz', '/.well-known/jwks.json']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
    const forged = known(`${fleet.token.slice(0, -8)}AAAAAAAA`);
    expect((await t.call(forged, 'GET', '/credentials')).statusCode).toBe(401);

    const output = lines.join('\n');
    expect(lines.length).toBeGreaterThan(50);
    for (const value of secrets) {
      // PEM keys: any line of their base64 body would be a leak.
      for (const part of value.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
        expect(output).not.toContain(part);
      }
    }
  });

  it('redacts secret fields and credential headers wherever a log call puts them', () => {
    const { logger: direct, lines: out } = memoryLogger();
    direct.info(
      {
        client_secret: 'cs-1',
        body: { private_key: 'pk-1' },
        creds: { api_token: 'at-1' },
        req: { headers: { authorization: 'Bearer b-1', cookie: 'c-1' } },
      },
      'x',
    );
    const line = out.join('\n');
    for (const leaked of ['cs-1', 'pk-1', 'at-1', 'b-1', 'c-1']) expect(line).not.toContain(leaked);
    expect(JSON.parse(line)).toMatchObject({ client_secret: '[redacted]', body: { private_key: '[redacted]' } });
  });

  it('writes one line per request with its id, method, route template, status, duration and caller', async () => {
    const before = lines.length;
    const created = await t.call(
      fleet.token,
      'POST',
      '/niu/credentials',
      { client_id: 'log-1', client_secret: 'x' },
      { 'x-request-id': 'trace-abc-1' },
    );
    expect(created.statusCode).toBe(201);
    await t.app.inject({ method: 'GET', url: '/no/such/route?token=abc' });
    const entries = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = entries.filter((e) => e.msg === 'request completed');
    expect(completed).toHaveLength(2);
    expect(completed[0]).toMatchObject({
      level: 30,
      service: 'fleetvault',
      request_id: created.headers['x-request-id'],
      client_request_id: 'trace-abc-1',
      method: 'POST',
      route: '/:brand/credentials',
      status: 201,
      fleet_id: fleet.fleetId,
      client_id: expect.any(String),
    });
    expect(typeof completed[0]!.duration_ms).toBe('number');
    expect(completed[1]).toMatchObject({ method: 'GET', route: null, path: '/no/such/route', status: 404 });
    expect(completed[1]).not.toHaveProperty('fleet_id');
    expect(JSON.stringify(completed[1])).not.toContain('token=abc');
  });
});

describe('request log at the production level (warn)', () => {
  it('writes no line for a request that went well, and the logger still writes warnings', async () => {
    const { logger, lines } = memoryLogger('warn');
    const t = await buildTestApp({ logger });
    try {
      const fleet = await t.newFleet();
      const before = lines.length;
      expect((await t.call(fleet.token, 'GET', '/niu/credentials')).statusCode).toBe(200);
      expect(lines.slice(before)).toEqual([]);
      logger.warn('still heard');
      expect(lines.at(-1)).toContain('still heard');
    } finally {
      await t.close();
    }
  });
});
