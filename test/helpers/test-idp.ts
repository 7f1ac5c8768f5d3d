import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** A person at the test identity provider: the claims its ID tokens carry. */
export interface TestAccount {
  sub: string;
  email: string;
  name: string;
  groups: string[];
}

export const IDP_CLIENT_ID = 'fleetvault';
export const IDP_CLIENT_SECRET = 'idp-client-secret-for-tests';

/** Rewrites the ID token of the provider's next token responses (claims and, optionally, the signing key). */
export type IdTokenTamper = (claims: Record<string, unknown>) => {
  claims: Record<string, unknown>;
  /** `foreign`: a key the provider never published, under its key id; `rotated`: the key `rotateKey` published. */
  key?: 'foreign' | 'rotated';
};

/** A real OpenID provider (panva's oidc-provider) on loopback, with an interaction that signs in a chosen account. */
export interface TestIdp {
  issuer: string;
  /** The account the next interaction signs in; undefined: the person cancels (error=access_denied). */
  signInAs(sub: string | undefined): void;
  /** Tampers with the ID tokens the token endpoint answers until called with undefined. */
  tamper(rewrite: IdTokenTamper | undefined): void;
  /** Publishes a second signing key (kid idp-key-2) in the provider's JWKS, as a key rotation does. */
  rotateKey(): void;
  /** Every token the token endpoint has answered so far (ID, access and refresh tokens), as sent. */
  issuedTokens(): string[];
  /** The environment that points a vault at this provider. */
  env(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/** A loopback port nothing listens on right now (for a server whose URL must be known before it starts). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function rsaKey(kid: string): { jwk: Record<string, unknown>; privateKey: KeyObject } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }, privateKey };
}

/** RS256 JWS compact serialization (RFC 7515 §7.1), for the tampered tokens only. */
function signJwt(claims: Record<string, unknown>, kid: string, key: KeyObject): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Starts the provider on a free loopback port (or `port`). Keys are ephemeral (made per start); `redirectUri` is the vault's
 * `<public URL>/auth/oidc/callback`. Scopes `openid email profile groups`; ID tokens carry the scopes' claims
 * (conformIdTokenClaims off), `groups` included, as a Keycloak groups mapper with "Add to ID token" does.
 */
export async function startTestIdp(accounts: TestAccount[], redirectUri: string, port = 0): Promise<TestIdp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signing = rsaKey('idp-key-1');
  const foreign = rsaKey('idp-key-1');
  const rotated = rsaKey('idp-key-2');
  let rotatedPublished = false;
  let current: string | undefined = accounts[0]?.sub;
  let rewrite: IdTokenTamper | undefined;
  const issued: string[] = [];

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: IDP_CLIENT_ID,
        client_secret: IDP_CLIENT_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [signing.jwk as never] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['test-idp-cookie-key'] },
    ttl: { AuthorizationCode: 60, IdToken: 600, AccessToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    findAccount: async (_ctx, id) => {
      const account = accounts.find((a) => a.sub === id);
      if (account === undefined) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: account.email, email_verified: true, name: account.name, groups: account.groups }),
      };
    },
  });

  provider.use(async (ctx, next) => {
    // The interaction: no login form, the chosen account is signed in and consents to what was asked.
    if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      let result;
      if (current === undefined) {
        result = { error: 'access_denied', error_description: 'the person cancelled' };
      } else {
        const grant = new provider.Grant({ accountId: current, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        result = { login: { accountId: current }, consent: { grantId: await grant.save() } };
      }
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
      return;
    }
    await next();
    if (rotatedPublished && ctx.path === '/jwks') {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = rotated.jwk;
      ctx.body = { keys: [...(ctx.body as { keys: unknown[] }).keys, publicJwk] };
    }
    const body = ctx.body as { id_token?: string } | undefined;
    if (rewrite !== undefined && ctx.path === '/token' && typeof body?.id_token === 'string') {
      const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      const changed = rewrite(claims);
      const [kid, key] =
        changed.key === 'rotated'
          ? ['idp-key-2', rotated.privateKey]
          : ['idp-key-1', changed.key === 'foreign' ? foreign.privateKey : signing.privateKey];
      ctx.body = { ...body, id_token: signJwt(changed.claims, kid, key) };
    }
    if (ctx.path === '/token') {
      const answered = ctx.body as Record<string, unknown> | undefined;
      for (const name of ['id_token', 'access_token', 'refresh_token']) {
        if (typeof answered?.[name] === 'string') issued.push(answered[name]);
      }
    }
  });

  server.on('request', provider.callback());
  return {
    issuer,
    signInAs: (sub) => {
      current = sub;
    },
    tamper: (next) => {
      rewrite = next;
    },
    rotateKey: () => {
      rotatedPublished = true;
    },
    issuedTokens: () => [...issued],
    env: (extra = {}) => ({
      FLEETVAULT_OIDC_ISSUER: issuer,
      FLEETVAULT_OIDC_CLIENT_ID: IDP_CLIENT_ID,
      FLEETVAULT_OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET,
      FLEETVAULT_OIDC_SCOPES: 'openid email profile groups',
      FLEETVAULT_OIDC_DISPLAY_NAME: 'Test IdP',
      ...extra,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
