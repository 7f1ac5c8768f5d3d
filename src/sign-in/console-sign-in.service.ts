import type { Clock } from '../core/clock.js';
import type { Store } from '../db/store.js';
import type { FleetRepo } from '../fleets/fleets.repo.js';
import { type PersonSignIn, type PersonToken, SignInRefused } from '../people/person-sign-in.service.js';
import { FleetRequired, InvalidClient, InvalidGrant, InvalidRequest } from '../tokens/oauth-errors.js';
import { identityOf, identityText } from './person-identity.js';
import type { FinishedRoundTrip, ProviderRoundTrips } from './provider-round-trips.js';
import { SignInFailed } from './sign-in-failure.js';
import type { SignInFlowRepo } from './sign-in-flows.repo.js';
import { PKCE_S256_CHALLENGE, PKCE_VERIFIER, randomSecret, secretHash, verifierMatches } from './sign-in-secrets.js';

/** The console's client id at the vault (docs/design.md §2.11): a public client, PKCE instead of a secret. */
export const CONSOLE_CLIENT_ID = 'fleetvault-console';
/** RFC 6749 §4.1.2: "a maximum authorization code lifetime of 10 minutes is RECOMMENDED"; the console needs 60 s. */
export const CODE_TTL_SECONDS = 60;

export interface AuthorizationRequest {
  response_type?: string | undefined;
  client_id?: string | undefined;
  redirect_uri?: string | undefined;
  code_challenge?: string | undefined;
  code_challenge_method?: string | undefined;
  state?: string | undefined;
}

/** An authorization request the console sent wrong, answered at its (valid) redirect_uri (RFC 6749 §4.1.2.1). */
export class AuthorizationRequestRefused extends Error {
  constructor(
    readonly redirectUri: string,
    readonly error: 'invalid_request' | 'unsupported_response_type',
    readonly description: string,
    readonly state: string | undefined,
  ) {
    super(description);
  }
}

/**
 * The console's sign-in (docs/sign-in.md): the vault is the console's authorization server (RFC 6749 §4.1 with PKCE,
 * RFC 7636) and the provider's relying party in between. `/auth/authorize` → the provider → `/auth/oidc/callback` →
 * the console's redirect_uri with a one-time code → `POST /oauth/token` grant_type=authorization_code.
 */
export function createConsoleSignIn(deps: {
  store: Store<{ signInFlows: SignInFlowRepo; fleets: Pick<FleetRepo, 'names'> }>;
  trips: ProviderRoundTrips;
  people: Pick<PersonSignIn, 'fleets' | 'signIn'>;
  clock: Clock;
  publicUrl: string;
}) {
  const { store, trips, people, clock } = deps;
  // RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: the redirect URI is compared exactly, never by prefix (no open redirect).
  const consoleRedirectUri = `${deps.publicUrl}/console/`;

  return {
    consoleRedirectUri,

    /**
     * Checks the console's request and answers where to send the browser (the provider). A wrong client or
     * redirect_uri is never redirected to (RFC 6749 §4.1.2.1): SignInFailed, a page. Other mistakes go back to
     * the console as AuthorizationRequestRefused.
     */
    async authorize(request: AuthorizationRequest): Promise<URL> {
      if (request.client_id !== CONSOLE_CLIENT_ID)
        throw new SignInFailed('invalid-request', 'Unknown client_id: only the console signs in here.');
      if (request.redirect_uri !== consoleRedirectUri) {
        throw new SignInFailed('invalid-request', `redirect_uri must be exactly ${consoleRedirectUri}.`);
      }
      const refuse = (error: AuthorizationRequestRefused['error'], description: string) =>
        new AuthorizationRequestRefused(consoleRedirectUri, error, description, request.state);
      if (request.response_type !== 'code') throw refuse('unsupported_response_type', 'response_type must be code');
      if (request.state === undefined || request.state === '' || request.state.length > 512) {
        throw refuse('invalid_request', 'state is required (at most 512 characters)');
      }
      // RFC 7636 §4.4.1: PKCE is required of a public client; only S256 (§4.2), never plain.
      if (request.code_challenge_method !== 'S256') throw refuse('invalid_request', 'code_challenge_method must be S256');
      if (request.code_challenge === undefined || !PKCE_S256_CHALLENGE.test(request.code_challenge)) {
        throw refuse('invalid_request', 'code_challenge must be an S256 challenge (43 base64url characters)');
      }
      return trips.start({
        purpose: 'console',
        redirectUri: consoleRedirectUri,
        clientState: request.state,
        codeChallenge: request.code_challenge,
      });
    },

    /**
     * The provider's answer for a console trip: refused (a page) when no rule of any fleet matches, else the
     * console's redirect_uri with a one-time code bound to its PKCE challenge, and its state (RFC 6749 §4.1.2).
     */
    async complete({ row, identity }: FinishedRoundTrip): Promise<URL> {
      if (row.redirect_uri === null || row.code_challenge === null || row.client_state === null) {
        throw new TypeError('a console sign-in state lacks its redirect_uri, challenge or state');
      }
      if ((await people.fleets(identity)).length === 0) {
        throw new SignInFailed('no-matching-rule', 'No sign-in rule of any fleet lets you in. Ask a fleet administrator for access.', 403);
      }
      const code = randomSecret();
      await store.repos.signInFlows.insertCode({
        code_hash: secretHash(code),
        identity: identityText(identity),
        redirect_uri: row.redirect_uri,
        code_challenge: row.code_challenge,
        expires_at: new Date(clock.now().getTime() + CODE_TTL_SECONDS * 1000).toISOString(),
      });
      const target = new URL(row.redirect_uri);
      target.searchParams.set('code', code);
      target.searchParams.set('state', row.client_state);
      return target;
    },

    /** `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5), with `fleet` when several match. */
    async exchangeCode(params: Record<string, string>, requestId: string | null): Promise<PersonToken> {
      // RFC 6749 §4.1.3: a public client sends its client_id.
      if (params.client_id !== CONSOLE_CLIENT_ID) throw new InvalidClient('client_id must be fleetvault-console for this grant');
      const { code, redirect_uri: redirectUri, code_verifier: verifier, fleet } = params;
      if (code === undefined || code === '' || code.length > 512) throw new InvalidRequest('code is required');
      if (redirectUri === undefined) throw new InvalidRequest('redirect_uri is required (RFC 6749 §4.1.3)');
      if (verifier === undefined || !PKCE_VERIFIER.test(verifier)) {
        throw new InvalidRequest('code_verifier is required: 43 to 128 characters (RFC 7636 §4.1)');
      }
      const codeHash = secretHash(code);
      const row = await store.repos.signInFlows.findCode(codeHash);
      if (row === undefined || row.expires_at < clock.now().toISOString()) throw new InvalidGrant('the code is unknown, used or expired');
      if (row.redirect_uri !== redirectUri) throw new InvalidGrant('redirect_uri differs from the authorization request');
      if (!verifierMatches(verifier, row.code_challenge)) {
        // The code reached someone without the verifier: spend it, so the console's own exchange fails too (RFC 6749 §10.5).
        await store.repos.signInFlows.takeCode(codeHash);
        throw new InvalidGrant('code_verifier does not match the code_challenge (RFC 7636 §4.6)');
      }
      const identity = identityOf(row.identity);
      const fleets = await people.fleets(identity);
      if (fleets.length === 0) {
        // The person's last rule was deleted since the callback.
        await store.repos.signInFlows.takeCode(codeHash);
        throw new InvalidGrant('no sign-in rule of any fleet matches you any more');
      }
      if (fleet === undefined ? fleets.length > 1 : !fleets.includes(fleet)) {
        const why =
          fleet === undefined ? 'your sign-in rules match several fleets: send fleet' : 'no sign-in rule of that fleet matches you';
        throw new FleetRequired(why, await store.repos.fleets.names(fleets));
      }
      if (!(await store.repos.signInFlows.takeCode(codeHash))) throw new InvalidGrant('the code is unknown, used or expired');
      try {
        return await people.signIn(identity, fleet, requestId);
      } catch (error) {
        if (error instanceof SignInRefused) throw new InvalidGrant(error.message);
        throw error;
      }
    },
  };
}

export type ConsoleSignIn = ReturnType<typeof createConsoleSignIn>;
