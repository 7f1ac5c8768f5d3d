import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { Store } from '../db/store.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { AuthenticatedClient, ClientService } from '../clients/clients.service.js';
import { parseScopeList, type Scope } from '../core/scopes.js';
import { restrictionClaim } from '../core/grant.js';
import { AssertionRejected, type AssertionIssuer, type VerifyAssertion } from './assertion.js';
import { InvalidClient, InvalidGrant, InvalidRequest, InvalidScope, UnsupportedGrantType } from './oauth-errors.js';

/** RFC 7523 §2.1 grant type and §2.2 client assertion type. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface TokenRequest {
  grantType: string | undefined;
  /** From HTTP Basic (RFC 6749 §2.3.1), already form-decoded. */
  basic?: { clientId: string; clientSecret: string } | undefined;
  params: Record<string, string>;
  /** The HTTP request id, recorded with the `token.issued` event. */
  requestId?: string | null;
  /** The caller's own X-Request-Id, recorded beside it when well-formed. */
  clientRequestId?: string | undefined;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export type SignAccessToken = (claims: Record<string, unknown>) => Promise<string>;

/** Grants are looked up by name so the assertion grants slot in beside client_credentials. */
export function createTokenService(deps: {
  clients: ClientService;
  /** Its unit of work writes only the issuance's audit event. */
  store: Store<{ audit: AuditRepo; webhookDeliveries: AuditOutbox }>;
  audit: AuditTrail;
  clock: Clock;
  ids: IdGenerator;
  sign: SignAccessToken;
  issuer: string;
  tokenTtlSeconds: number;
  verifyAssertion: VerifyAssertion<AssertionIssuer & AuthenticatedClient>;
  /** A person's grants (authorization_code, device_code; docs/sign-in.md), present when person sign-in is on. */
  personGrants?: Readonly<Record<string, (request: TokenRequest) => Promise<TokenResponse>>>;
}) {
  const { clients, store, audit, clock, ids, sign, issuer, tokenTtlSeconds, verifyAssertion } = deps;

  /** Signs an access token and records `token.issued` (docs/design.md §2.6); no event, no token. */
  async function issue(
    client: AuthenticatedClient,
    requestedScope: string | undefined,
    grantType: string,
    requestId: string | null | undefined,
    clientRequestId?: string,
  ): Promise<TokenResponse & { iat: number }> {
    const scopes = narrowScopes(client.scopes, requestedScope);
    const iat = Math.floor(clock.now().getTime() / 1000);
    const access_token = await sign({
      iss: issuer,
      aud: issuer,
      sub: client.id,
      fleet: client.fleetId,
      scope: scopes.join(' '),
      iat,
      exp: iat + tokenTtlSeconds,
      jti: ids.next(),
      // The secret it was issued for: a rotation makes the token stale (refused within the liveness TTL).
      ...(client.secretStamp !== null && { sst: client.secretStamp }),
      // The client's stored restriction (docs/grants.md), always: no token request parameter can widen or drop it.
      ...(client.restriction !== undefined && { rst: restrictionClaim(client.restriction) }),
    });
    await store.transaction(
      (repos) =>
        audit.append(repos, {
          fleetId: client.fleetId,
          actor: { type: 'client', id: client.id },
          action: 'token.issued',
          target: { type: 'client', id: client.id },
          requestId: requestId ?? null,
          clientRequestId,
          details: { grant_type: grantType, scope: scopes.join(' '), expires_in: tokenTtlSeconds },
        }),
      { fleetId: client.fleetId },
    );
    return { access_token, token_type: 'Bearer', expires_in: tokenTtlSeconds, scope: scopes.join(' '), iat };
  }

  /** The key client of a valid assertion; every refusal becomes `reject(description)`. */
  async function assertedClient(assertion: string, reject: (description: string) => Error) {
    try {
      return await verifyAssertion(assertion);
    } catch (error) {
      if (error instanceof AssertionRejected) throw reject(error.description);
      throw error;
    }
  }

  /** RFC 7523 §2.1: the assertion is the authorization grant; failures are invalid_grant (§3.1). */
  async function jwtBearer(request: TokenRequest): Promise<TokenResponse> {
    const { assertion, scope } = request.params;
    if (assertion === undefined || assertion === '') throw new InvalidRequest('assertion is required for the jwt-bearer grant');
    const client = await assertedClient(assertion, (d) => new InvalidGrant(d));
    return withoutIat(await issue(client, scope, JWT_BEARER_GRANT, request.requestId, request.clientRequestId));
  }

  /** RFC 7523 §2.2 (private_key_jwt): the assertion authenticates the client; failures are invalid_client (§3.2). */
  async function clientAssertion(request: TokenRequest): Promise<TokenResponse> {
    const { params } = request;
    if (params.client_assertion_type !== JWT_BEARER_CLIENT_ASSERTION) {
      throw new InvalidClient(`client_assertion_type must be ${JWT_BEARER_CLIENT_ASSERTION}`);
    }
    if (params.client_assertion === undefined || params.client_assertion === '') throw new InvalidClient('client_assertion is required');
    const client = await assertedClient(params.client_assertion, (d) => new InvalidClient(d));
    // RFC 7521 §4.2: a client_id, when sent, must name the asserted client.
    if (params.client_id !== undefined && params.client_id.toUpperCase() !== client.id)
      throw new InvalidClient('client_id does not match the assertion');
    return withoutIat(await issue(client, params.scope, 'client_credentials', request.requestId, request.clientRequestId));
  }

  function withoutIat({ iat: _iat, ...token }: TokenResponse & { iat: number }): TokenResponse {
    return token;
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
    if (basic === undefined && (params.client_assertion !== undefined || params.client_assertion_type !== undefined))
      return clientAssertion(request);
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
    return withoutIat(await issue(client, params.scope, 'client_credentials', request.requestId, request.clientRequestId));
  }

  const grants: Record<string, (request: TokenRequest) => Promise<TokenResponse>> = {
    client_credentials: clientCredentials,
    [JWT_BEARER_GRANT]: jwtBearer,
    ...deps.personGrants,
  };

  return {
    async token(request: TokenRequest): Promise<TokenResponse> {
      if (request.grantType === undefined || request.grantType === '') throw new InvalidRequest('grant_type is required');
      // Own properties only: `toString` or `constructor` must not reach Object.prototype's functions.
      const grant = Object.hasOwn(grants, request.grantType) ? grants[request.grantType] : undefined;
      if (grant === undefined) {
        throw new UnsupportedGrantType(`supported grant types: ${Object.keys(grants).join(', ')}`);
      }
      return grant(request);
    },

    /** High Mobility's `POST /v1/auth_tokens`: an access token for a key client's assertion. */
    async authToken(
      assertion: string,
      requestId: string | null = null,
      clientRequestId?: string,
    ): Promise<{ auth_token: string; valid_from: Date; valid_until: Date }> {
      const client = await assertedClient(assertion, (d) => new InvalidGrant(d));
      const { access_token, iat } = await issue(client, undefined, JWT_BEARER_GRANT, requestId, clientRequestId);
      return { auth_token: access_token, valid_from: new Date(iat * 1000), valid_until: new Date((iat + tokenTtlSeconds) * 1000) };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
