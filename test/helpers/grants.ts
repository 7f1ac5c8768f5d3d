import type { TestApp } from './test-app.js';

export const teslaExample = { client_id: 'tesla-app', region: 'eu', client_secret: 'tesla-secret' };

/** A client created through POST /clients with `restrict`, and its access token from POST /oauth/token. */
export async function restrictedClient(
  t: TestApp,
  adminToken: string,
  restrict: { brands?: string[]; credential_ids?: string[] },
  scopes: string[] = [
    'credentials:read',
    'credentials:write',
    'credentials:reveal',
    'credentials:exchange',
    'vehicles:read',
    'vehicles:write',
  ],
): Promise<{ clientId: string; clientSecret: string; token: string }> {
  const created = await t.call(adminToken, 'POST', '/clients', { name: 'restricted', scopes, restrict });
  if (created.statusCode !== 201) throw new Error(`client creation failed: ${created.statusCode} ${created.body}`);
  const { id, client_secret } = created.json() as { id: string; client_secret: string };
  const res = await t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: id, client_secret },
  });
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return { clientId: id, clientSecret: client_secret, token: res.json().access_token as string };
}

/** The claims of a JWT, unverified (to look at what the vault put in its own token). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}
