import type { Registry } from 'prom-client';
import type { OidcSettings } from '../config-oidc.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../db/store.js';
import type { FleetRepo } from '../fleets/fleets.repo.js';
import type { PersonSignIn } from '../people/person-sign-in.service.js';
import type { TokenRequest } from '../tokens/token.service.js';
import { createConsoleSignIn } from './console-sign-in.service.js';
import { createDeviceSignIn, DEVICE_CODE_GRANT } from './device-sign-in.service.js';
import { createProviderRoundTrips } from './provider-round-trips.js';
import { createRelyingParty } from './relying-party.js';
import type { SignInFlowRepo } from './sign-in-flows.repo.js';
import { countSignInRefusals } from './sign-in.metrics.js';

/** The redirect URI to register at the identity provider (docs/sign-in.md). */
export const providerCallbackPath = '/auth/oidc/callback';

/**
 * Person sign-in with its provider (docs/sign-in.md): the relying party, its round trips, the console's code flow
 * and the device flow, or undefined when no provider is configured (the routes then answer 404).
 */
export function createSignInFlows(deps: {
  settings: OidcSettings | undefined;
  publicUrl: string;
  store: Store<{ signInFlows: SignInFlowRepo; fleets: Pick<FleetRepo, 'names'> }>;
  people: Pick<PersonSignIn, 'fleets' | 'signIn'>;
  clock: Clock;
  metrics: { registry: Registry };
}) {
  const { settings, publicUrl, store, people, clock } = deps;
  if (settings === undefined) return undefined;
  const rp = createRelyingParty(settings, `${publicUrl}${providerCallbackPath}`);
  const trips = createProviderRoundTrips({ store, rp, clock });
  const consoleSignIn = createConsoleSignIn({ store, trips, people, clock, publicUrl });
  const device = createDeviceSignIn({ store, trips, people, clock, publicUrl });
  return {
    displayName: settings.displayName,
    providerOrigin: new URL(settings.issuer).origin,
    publicUrl,
    trips,
    /** Counts a refused sign-in (fleetvault_person_sign_in_refusals_total, by reason). */
    refused: countSignInRefusals(deps.metrics.registry),
    console: consoleSignIn,
    device,
    /** The token endpoint's person grants (RFC 6749 §4.1.3, RFC 8628 §3.4). */
    grants: {
      authorization_code: (request: TokenRequest) => consoleSignIn.exchangeCode(request.params, request.requestId ?? null),
      [DEVICE_CODE_GRANT]: (request: TokenRequest) => device.poll(request.params, request.requestId ?? null),
    },
  };
}

export type SignInFlows = NonNullable<ReturnType<typeof createSignInFlows>>;
