import * as oidc from 'openid-client';
import type { Clock } from '../core/clock.js';
import type { Store } from '../db/store.js';
import type { VerifiedIdentity } from '../people/person-sign-in.service.js';
import type { RelyingParty } from './relying-party.js';
import { SignInFailed } from './sign-in-failure.js';
import type { SignInFlowRepo, SignInStateRow } from './sign-in-flows.repo.js';
import { secretHash } from './sign-in-secrets.js';

/** How long a person has at the provider before the round trip's state expires. */
export const ROUND_TRIP_TTL_SECONDS = 600;

/** What the round trip is for: the console's authorization request, or a device's user code. */
export type RoundTripPurpose =
  { purpose: 'console'; redirectUri: string; clientState: string; codeChallenge: string } | { purpose: 'device'; userCode: string };

export type FinishedRoundTrip = { row: SignInStateRow; identity: VerifiedIdentity };

/**
 * A round trip through the identity provider, kept server-side (sign_in_states) so that any replica can finish
 * what another began: a fresh `state` (stored as its hash; RFC 6749 §10.12), `nonce` (OIDC Core §3.1.2.1) and PKCE
 * verifier (RFC 7636 §4.1) per trip, single use, expiring after ROUND_TRIP_TTL_SECONDS.
 */
export function createProviderRoundTrips(deps: { store: Store<{ signInFlows: SignInFlowRepo }>; rp: RelyingParty; clock: Clock }) {
  const { store, rp, clock } = deps;
  return {
    /** Stores the trip and answers where to send the browser. */
    async start(what: RoundTripPurpose): Promise<URL> {
      const trip = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
      // Discovery first: a provider that is away refuses before anything is stored.
      const url = await rp.authorizationUrl(trip);
      const now = clock.now();
      await store.repos.signInFlows.insertState(
        {
          state_hash: secretHash(trip.state),
          nonce: trip.nonce,
          code_verifier: trip.codeVerifier,
          purpose: what.purpose,
          redirect_uri: what.purpose === 'console' ? what.redirectUri : null,
          client_state: what.purpose === 'console' ? what.clientState : null,
          code_challenge: what.purpose === 'console' ? what.codeChallenge : null,
          user_code: what.purpose === 'device' ? what.userCode : null,
          expires_at: new Date(now.getTime() + ROUND_TRIP_TTL_SECONDS * 1000).toISOString(),
        },
        now,
      );
      return url;
    },

    /**
     * The provider's answer at `/auth/oidc/callback`: the trip named by `state` is consumed whatever follows (a
     * replayed callback finds nothing), then the relying party redeems the code and checks the ID token.
     */
    async finish(callbackUrl: URL): Promise<FinishedRoundTrip> {
      const state = callbackUrl.searchParams.get('state');
      if (state === null || state === '' || state.length > 512) {
        throw new SignInFailed('invalid-state', 'The sign-in link has no valid state. Start the sign-in again.');
      }
      const row = await store.repos.signInFlows.takeState(secretHash(state));
      if (row === undefined || row.expires_at < clock.now().toISOString()) {
        throw new SignInFailed('invalid-state', 'This sign-in expired or was already used. Start the sign-in again.');
      }
      const identity = await rp.verifyCallback(callbackUrl, { state, nonce: row.nonce, codeVerifier: row.code_verifier });
      return { row, identity };
    },
  };
}

export type ProviderRoundTrips = ReturnType<typeof createProviderRoundTrips>;
