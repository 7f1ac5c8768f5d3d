import type { Clock, IdGenerator } from '../http/clock.js';
import type { AuthenticatedClient, ClientService } from '../clients/clients.service.js';
import { parseScopeList, type Scope } from '../clients/scopes.js';
import { InvalidClient, InvalidRequest, InvalidScope, UnsupportedGrantType } from './oauth-errors.js';

export interface TokenRequest {
  grantType: string | undefined;
  /** From HTTP Basic (RFC 6749 §2.3.1), already form-decoded. */
  basic?: { clientId: string; clientSecret: string } | undefined;
  params: Record<string, string>;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export type SignAccessToken = (claims: Record<string, unknown>) => string;

/** Grants are looked up by name so the assertion grants slot in beside client_credentials. */
export function createTokenService(deps: {
  clients: ClientService;
  clock: Clock;
  ids: IdGenerator;
  sign: SignAccessToken;
  issuer: string;
  tokenTtlSeconds: number;
}) {
  const { clients, clock, ids, sign, issuer, tokenTtlSeconds } = deps;

  function issue(client: AuthenticatedClient, requestedScope: string | undefined): TokenResponse {
    const scopes = narrowScopes(client.scopes, requestedScope);
    const iat = Math.floor(clock.now().getTime() / 1000);
    const access_token = sign({
      iss: issuer,
      aud: issuer,
      sub: client.id,
      fleet: client.fleetId,
      scope: scopes.join(' '),
      iat,
      exp: iat + tokenTtlSeconds,
      jti: ids.next(),
    });
    return { access_token, token_type: 'Bearer', expires_in: tokenTtlSeconds, scope: scopes.join(' ') };
  }

  /** RFC 6749 §3.3: the requested scope may only narrow what the client holds. */
  function narrowScopes(held: readonly Scope[], requested: string | undefined): Scope[] {
    if (requested === undefined || requested.trim() === '') return [...held];
    const { scopes, unknown } = parseScopeList(requested);
    if (unknown.length > 0) throw new InvalidScope(`unknown scope: ${unknown.slice(0, 5).join(' ').slice(0, 200)}`);
    const notHeld = scopes.filter((s) => !held.includes(s));
    if (notHeld.length > 0) throw new InvalidScope(`the client does not hold: ${notHeld.join(' ')}`);
    return scopes;
  }

  async function clientCredentials(request: TokenRequest): Promise<TokenResponse> {
    const { basic, params } = request;
    const bodyId = params.client_id;
    const bodySecret = params.client_secret;
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
    if (basic !== undefined && (bodySecret !== undefined || params.client_assertion !== undefined)) {
      throw new InvalidRequest('use one client authentication method: HTTP Basic or credentials in the body, not both');
    }
    const clientId = basic?.clientId ?? bodyId;
    const clientSecret = basic?.clientSecret ?? bodySecret;
    if (clientId === undefined || clientSecret === undefined) {
      throw new InvalidClient('client authentication is required: HTTP Basic, or client_id and client_secret in the body');
    }
    if (basic !== undefined && bodyId !== undefined && bodyId !== basic.clientId) {
      throw new InvalidRequest('client_id in the body differs from the authenticated client');
    }
    const client = await clients.authenticateSecret(clientId, clientSecret);
    if (client === undefined) throw new InvalidClient('client authentication failed');
    return issue(client, params.scope);
  }

  const grants: Record<string, (request: TokenRequest) => Promise<TokenResponse>> = {
    client_credentials: clientCredentials,
  };

  return {
    async token(request: TokenRequest): Promise<TokenResponse> {
      if (request.grantType === undefined || request.grantType === '') throw new InvalidRequest('grant_type is required');
      const grant = grants[request.grantType];
      if (grant === undefined) {
        throw new UnsupportedGrantType(`supported grant types: ${Object.keys(grants).join(', ')}`);
      }
      return grant(request);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
