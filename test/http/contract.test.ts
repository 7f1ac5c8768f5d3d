import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * The spec cannot drift from behaviour: the main flows run against the app, and each response's
 * status must be documented for its route and its body must match that status's schema.
 */
describe('responses match the OpenAPI document', () => {
  let t: TestApp;
  let ajv: Ajv2020;
  let spec: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
  const checked: string[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(spec, 'openapi');
  });
  afterAll(() => t.close());

  const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

  /** Asserts `res` is a documented answer of `method template`, then returns it. */
  function conforms(method: string, template: string, res: LightMyRequestResponse): LightMyRequestResponse {
    const operation = spec.paths[template]?.[method.toLowerCase()];
    expect(operation, `${method} ${template} is documented`).toBeDefined();
    const status = String(res.statusCode);
    const documented = operation!.responses[status];
    expect(documented, `${method} ${template} documents ${status} (${res.body.slice(0, 200)})`).toBeDefined();
    checked.push(`${method} ${template} ${status}`);
    if (res.statusCode === 204) return res;
    const mediaType = String(res.headers['content-type']).split(';')[0]!;
    expect(Object.keys(documented!.content ?? {}), `${method} ${template} ${status} media type`).toContain(mediaType);
    const validate = ajv.getSchema(
      `openapi#/${pointer('paths', template, method.toLowerCase(), 'responses', status, 'content', mediaType, 'schema')}`,
    )!;
    const body = mediaType.endsWith('json') ? res.json() : res.body;
    const valid = validate(body);
    expect(validate.errors ?? [], `${method} ${template} ${status}: ${res.body.slice(0, 300)}`).toEqual([]);
    expect(valid).toBe(true);
    return res;
  }

  it('for the operations routes', async () => {
    for (const url of ['/healthz', '/readyz', '/brands', '/.well-known/jwks.json', '/metrics', '/openapi.yaml', '/openapi.json']) {
      conforms('GET', url, await t.app.inject({ method: 'GET', url }));
    }
  });

  it('for the token endpoint', async () => {
    const fleet = await t.newFleet();
    const basic = Buffer.from(`${fleet.clientId}:${fleet.clientSecret}`).toString('base64');
    const token = (payload: string, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload,
      });
    const ok = conforms('POST', '/oauth/token', await token('grant_type=client_credentials', { authorization: `Basic ${basic}` }));
    expect(ok.statusCode).toBe(200);
    expect(
      conforms('POST', '/oauth/token', await token(`grant_type=client_credentials&client_id=${fleet.clientId}&client_secret=nope`))
        .statusCode,
    ).toBe(401);
    expect(conforms('POST', '/oauth/token', await token('grant_type=password')).statusCode).toBe(400);
  });

  it('for credentials: the INVERS flow and its failures', async () => {
    const { fleetId, token } = await t.newFleet();
    const C = '/{brand}/credentials';
    const ID = '/{brand}/credentials/{id}';
    const created = conforms('POST', C, await t.call(token, 'POST', '/niu/credentials', niuExample));
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    conforms('GET', C, await t.call(token, 'GET', '/niu/credentials?limit=1'));
    conforms('GET', '/credentials', await t.call(token, 'GET', '/credentials?brand=niu'));
    const read = conforms('GET', ID, await t.call(token, 'GET', `/NIU/credentials/${id}`));
    conforms('PATCH', ID, await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'rotated' }));
    // Failures, each with its documented problem type.
    const expectStatus = (res: LightMyRequestResponse, status: number) => expect(res.statusCode, res.body).toBe(status);
    expectStatus(conforms('POST', C, await t.app.inject({ method: 'POST', url: '/niu/credentials', payload: niuExample })), 401);
    expectStatus(
      conforms('POST', C, await t.call(await t.tokenFor(fleetId, ['credentials:read']), 'POST', '/niu/credentials', niuExample)),
      403,
    );
    expectStatus(conforms('POST', C, await t.call(token, 'POST', '/niu/credentials', niuExample)), 409);
    expectStatus(conforms('POST', C, await t.call(token, 'POST', '/nope/credentials', niuExample)), 404);
    expectStatus(conforms('POST', C, await t.call(token, 'POST', '/niu/credentials', { client_id: 'x' })), 422);
    expectStatus(
      conforms('POST', C, await t.call(token, 'POST', '/niu/credentials', '{"client_id":', { 'content-type': 'application/json' })),
      400,
    );
    expectStatus(
      conforms('POST', C, await t.call(token, 'POST', '/niu/credentials', 'client_id=x', { 'content-type': 'text/plain' })),
      415,
    );
    expectStatus(
      conforms('POST', C, await t.call(token, 'POST', '/niu/credentials', { client_id: 'x', client_secret: 'y'.repeat(70_000) })),
      413,
    );
    expectStatus(conforms('GET', C, await t.call(token, 'GET', '/niu/credentials?limit=0')), 422);
    expectStatus(conforms('GET', ID, await t.call(token, 'GET', '/niu/credentials/01ARZ3NDEKTSV4RRFFQ69G5FAV')), 404);
    expectStatus(conforms('PATCH', ID, await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_id: 'other' })), 422);
    expectStatus(
      conforms(
        'PATCH',
        ID,
        await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'z' }, { 'if-match': read.headers.etag as string }),
      ),
      412,
    );
    const vehicle = await t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: 'C-1', credentials_id: id });
    expectStatus(conforms('DELETE', ID, await t.call(token, 'DELETE', `/niu/credentials/${id}`)), 409);
    await t.call(token, 'DELETE', `/vehicles/${vehicle.json().id}`);
    expectStatus(conforms('DELETE', ID, await t.call(token, 'DELETE', `/niu/credentials/${id}`)), 204);
  });

  it('for vehicles', async () => {
    const { token } = await t.newFleet();
    const credentialsId = (await t.call(token, 'POST', '/niu/credentials', { client_id: 'v', client_secret: 's' })).json().id as string;
    const body = { telematics_brand: 'niu', telematics_unit_id: 'NIU-1', credentials_id: credentialsId, vin: 'WVWZZZ1JZXW000001' };
    const created = conforms('POST', '/vehicles', await t.call(token, 'POST', '/vehicles', body));
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(conforms('POST', '/vehicles', await t.call(token, 'POST', '/vehicles', body)).statusCode).toBe(409);
    expect(conforms('POST', '/vehicles', await t.call(token, 'POST', '/vehicles', { ...body, credentials_id: 'nope' })).statusCode).toBe(
      422,
    );
    conforms('GET', '/vehicles', await t.call(token, 'GET', `/vehicles?credentials_id=${credentialsId}`));
    conforms('GET', '/vehicles/{id}', await t.call(token, 'GET', `/vehicles/${id}`));
    conforms('PATCH', '/vehicles/{id}', await t.call(token, 'PATCH', `/vehicles/${id}`, { name: 'Scooter', vin: null }));
    expect(conforms('DELETE', '/vehicles/{id}', await t.call(token, 'DELETE', `/vehicles/${id}`)).statusCode).toBe(204);
    expect(conforms('GET', '/vehicles/{id}', await t.call(token, 'GET', `/vehicles/${id}`)).statusCode).toBe(404);
    expect(conforms('GET', '/vehicles', await t.call('bad', 'GET', '/vehicles')).statusCode).toBe(401);
  });

  it('for API clients', async () => {
    const { token } = await t.newFleet();
    const created = conforms('POST', '/clients', await t.call(token, 'POST', '/clients', { name: 'ops', scopes: ['credentials:read'] }));
    expect(created.statusCode).toBe(201);
    const id = created.json().client_id ?? created.json().id;
    conforms('GET', '/clients', await t.call(token, 'GET', '/clients'));
    conforms('GET', '/clients/{id}', await t.call(token, 'GET', `/clients/${id}`));
    conforms('POST', '/clients/{id}/secret', await t.call(token, 'POST', `/clients/${id}/secret`));
    conforms('DELETE', '/clients/{id}', await t.call(token, 'DELETE', `/clients/${id}`));
    expect(conforms('GET', '/clients/{id}', await t.call(token, 'GET', `/clients/${id}`)).statusCode).toBe(404);
    expect(checked.length).toBeGreaterThan(40);
  });
});
