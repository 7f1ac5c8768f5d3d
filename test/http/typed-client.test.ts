import type { AddressInfo } from 'node:net';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from '../../web/src/api-types.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The README's walkthrough through a client generated from the committed openapi.yaml
 * (openapi-typescript types + openapi-fetch) over real HTTP: a change that breaks generated
 * clients (a renamed path, parameter or field, a body of another shape) fails to compile or here.
 */
let t: TestApp;
let baseUrl: string;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;

beforeAll(async () => {
  t = await buildTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  fleet = await t.newFleet();
});
afterAll(() => t?.close());

describe('a typed client generated from openapi.yaml', () => {
  it('runs the README walkthrough: token, create, list, rotate, attach a vehicle, the 409, delete', async () => {
    // 1. An access token: client credentials with HTTP Basic, as the README's curl does.
    const basic = Buffer.from(`${fleet.clientId}:${fleet.clientSecret}`).toString('base64');
    const issued = await createClient<paths>({ baseUrl }).POST('/oauth/token', {
      headers: { authorization: `Basic ${basic}` },
      body: { grant_type: 'client_credentials' },
    });
    expect(issued.response.status).toBe(200);
    expect(issued.data).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const vault = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${issued.data!.access_token}` } });

    // 2. Store NIU credentials (the INVERS example): an id and a Location, never the secret.
    const created = await vault.POST('/{brand}/credentials', {
      params: { path: { brand: 'niu' } },
      body: { name: 'NIU fleet Berlin', client_id: 'client1', client_secret: 'supersecret' },
    });
    expect(created.response.status).toBe(201);
    const credential = created.data!;
    expect(credential).toMatchObject({ brand: 'niu', name: 'NIU fleet Berlin', client_id: 'client1', secret_version: 1, vehicle_count: 0 });
    expect(created.response.headers.get('location')).toBe(`/niu/credentials/${credential.id}`);
    expect(JSON.stringify(credential)).not.toContain('supersecret');
    const path = { brand: 'niu', id: credential.id };

    // 3. List them, with the substring filter.
    const listed = await vault.GET('/{brand}/credentials', { params: { path: { brand: 'niu' }, query: { q: 'berlin' } } });
    expect(listed.data!.items.map((item) => item.id)).toEqual([credential.id]);
    expect(listed.data!.next_cursor).toBeNull();

    // 4. Rotate the secret: secret_version becomes 2.
    const rotated = await vault.PATCH('/{brand}/credentials/{id}', { params: { path }, body: { client_secret: 'rotated-secret' } });
    expect(rotated.response.status).toBe(200);
    expect(rotated.data!.secret_version).toBe(2);

    // 5. A vehicle that uses these credentials.
    const attached = await vault.POST('/vehicles', {
      body: { telematics_brand: 'niu', telematics_unit_id: 'NIU-0001', credentials_id: credential.id },
    });
    expect(attached.response.status).toBe(201);
    const vehicle = attached.data!;
    expect(vehicle.credentials_id).toBe(credential.id);

    // 6. Deleting referenced credentials: 409 conflicting-resource, typed as a problem, with the vehicle ids.
    const refused = await vault.DELETE('/{brand}/credentials/{id}', { params: { path } });
    expect(refused.response.status).toBe(409);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.error).toMatchObject({ type: '/problems/conflicting-resource', status: 409, vehicle_count: 1 });
    expect(refused.error!.vehicle_ids).toEqual([vehicle.id]);

    // 7. Delete the vehicle, then the credentials (204 each); the credential is gone.
    expect((await vault.DELETE('/vehicles/{id}', { params: { path: { id: vehicle.id } } })).response.status).toBe(204);
    expect((await vault.DELETE('/{brand}/credentials/{id}', { params: { path } })).response.status).toBe(204);
    const gone = await vault.GET('/{brand}/credentials/{id}', { params: { path } });
    expect(gone.response.status).toBe(404);
    expect(gone.error).toMatchObject({ type: '/problems/not-found', status: 404 });
  });
});
