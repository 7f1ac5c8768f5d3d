import * as oidc from 'openid-client';
import type { OidcSettings } from '../config-oidc.js';
import type { VerifiedIdentity } from '../people/person-sign-in.service.js';
import { SignInFailed } from './sign-in-failure.js';

/** What a round trip to the provider must bring back unchanged (OIDC Core §3.1.2.1, RFC 7636 §4.1). */
export interface RoundTrip {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface RelyingPartyOptions {
  /** Discovery attempts before a sign-in gives up (the next sign-in tries again). */
  discoveryAttempts?: number;
  discoveryBackoffMs?: number;
}

const DISCOVERY_TIMEOUT_SECONDS = 5;

/**
 * The vault as an OpenID Connect relying party of one provider, through openid-client (a certified RP
 * implementation: the vault writes no JWT or JWKS code of its own). Discovery (OIDC Discovery §4) is lazy: the vault
 * starts while the provider is away, the first sign-in discovers it, a failed discovery is retried and then
 * forgotten, so the next sign-in tries again.
 */
export function createRelyingParty(settings: OidcSettings, redirectUri: string, options: RelyingPartyOptions = {}) {
  const attempts = options.discoveryAttempts ?? 3;
  const backoffMs = options.discoveryBackoffMs ?? 250;
  const issuerUrl = new URL(settings.issuer);
  let discovered: Promise<oidc.Configuration> | undefined;

  async function discoverOnce(): Promise<oidc.Configuration> {
    // OIDC Core §3.1.3.7 item 6 lets a client trust TLS instead of the ID token's signature; openid-client does so by
    // default. The vault checks the signature against the issuer's JWKS all the same (re-fetched when an unknown key
    // id appears): the identity survives a compromised TLS path or a misrouted token endpoint no better than it must.
    const execute = [oidc.enableNonRepudiationChecks];
    // OIDC Discovery §4.3: https, except a provider on this machine (config-oidc.ts refuses others).
    if (issuerUrl.protocol === 'http:') execute.push(oidc.allowInsecureRequests);
    const auth = settings.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(settings.clientSecret);
    return oidc.discovery(issuerUrl, settings.clientId, { redirect_uris: [redirectUri] }, auth, {
      execute,
      timeout: DISCOVERY_TIMEOUT_SECONDS,
    });
  }

  async function configuration(): Promise<oidc.Configuration> {
    discovered ??= (async () => {
      let lastError: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          return await discoverOnce();
        } catch (error) {
          lastError = error;
          if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoffMs * attempt));
        }
      }
      throw lastError;
    })();
    try {
      return await discovered;
    } catch (error) {
      discovered = undefined;
      throw new SignInFailed('provider-unavailable', `The identity provider did not answer (${describe(error)}). Try again shortly.`, 503);
    }
  }

  return {
    /** Where to send the browser: the provider's authorization endpoint with PKCE S256, state and nonce. */
    async authorizationUrl(trip: RoundTrip): Promise<URL> {
      const config = await configuration();
      return oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes,
        // RFC 7636 §4.2: S256 only; `plain` would hand the verifier to whoever reads the URL.
        code_challenge: await oidc.calculatePKCECodeChallenge(trip.codeVerifier),
        code_challenge_method: 'S256',
        state: trip.state,
        nonce: trip.nonce,
      });
    },

    /**
     * Redeems the provider's code and checks the ID token as OIDC Core §3.1.3.7 says (openid-client does it all:
     * signature by the issuer's JWKS, re-fetched when a new key id appears; `iss`; `aud` holds our client id and
     * `azp` names it when there are several audiences; `exp`, `iat`; `nonce`), with `state` (RFC 6749 §10.12), the
     * PKCE verifier (RFC 7636 §4.5) and the `iss` parameter (RFC 9207) when the provider sends it.
     */
    async verifyCallback(callbackUrl: URL, trip: RoundTrip): Promise<VerifiedIdentity> {
      const config = await configuration();
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          expectedState: trip.state,
          expectedNonce: trip.nonce,
          pkceCodeVerifier: trip.codeVerifier,
          idTokenExpected: true,
        });
      } catch (error) {
        if (error instanceof oidc.AuthorizationResponseError) {
          throw new SignInFailed('provider-refused', `The identity provider refused the sign-in (${error.error}).`, 403);
        }
        if (error instanceof oidc.ResponseBodyError) {
          throw new SignInFailed('provider-refused', `The identity provider refused to redeem its code (${error.error}).`, 403);
        }
        if (error instanceof TypeError && (error as { code?: string }).code === undefined) {
          throw new SignInFailed('provider-unavailable', 'The identity provider did not answer. Try again shortly.', 503);
        }
        throw new SignInFailed('id-token-rejected', `The identity provider\u2019s answer was refused: ${describe(error)}.`, 403);
      }
      const claims = tokens.claims();
      if (claims === undefined) throw new SignInFailed('id-token-rejected', 'The identity provider sent no ID token.', 403);
      const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
      return { issuer: claims.iss, subject: claims.sub, email: text(claims.email), name: text(claims.name), claims };
    },
  };
}

export type RelyingParty = ReturnType<typeof createRelyingParty>;

/** openid-client's message, short (it names the failed check, never a token). */
function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
