import type { AddressInfo } from 'node:net';
import { ClientCredentials } from 'simple-oauth2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** A standard OAuth2 client library, configured with URLs only, against a listening server. */
let t: TestApp;
let baseUrl: string;

beforeAll(async () => {
  t = await buildTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(() => t?.close());

describe('simple-oauth2 ClientCredentials', () => {
  it('obtains a token that the API accepts (HTTP Basic, form body: the library defaults)', async () => {
    const fleet = await t.newFleet();
    const client = new ClientCredentials({
      client: { id: fleet.clientId, secret: fleet.clientSecret },
      auth: { tokenHost: baseUrl, tokenPath: '/oauth/token' },
    });
    const accessToken = await client.getToken({ scope: 'vehicles:read' });
    expect(accessToken.token).toMatchObject({ token_type: 'Bearer', scope: 'vehicles:read', expires_in: 900 });
    const res = await fetch(`${baseUrl}/vehicles`, { headers: { authorization: `Bearer ${accessToken.token.access_token as string}` } });
    expect(res.status).toBe(200);
  });

  it('reports a wrong secret as the library\u2019s error with invalid_client', async () => {
    const fleet = await t.newFleet();
    const client = new ClientCredentials({ client: { id: fleet.clientId, secret: 'wrong' }, auth: { tokenHost: baseUrl } });
    await expect(client.getToken({})).rejects.toMatchObject({
      output: { statusCode: 401 },
      data: { payload: { error: 'invalid_client' } },
    });
  });
});
