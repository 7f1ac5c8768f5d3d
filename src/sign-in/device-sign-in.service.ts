import type { Clock } from '../core/clock.js';
import type { Store } from '../db/store.js';
import type { FleetRepo } from '../fleets/fleets.repo.js';
import { type PersonSignIn, type PersonToken, SignInRefused } from '../people/person-sign-in.service.js';
import {
  AccessDenied,
  AuthorizationPending,
  ExpiredToken,
  InvalidClient,
  InvalidGrant,
  InvalidRequest,
  SlowDown,
} from '../tokens/oauth-errors.js';
import { identityOf, identityText, personLabel } from './person-identity.js';
import type { FinishedRoundTrip, ProviderRoundTrips } from './provider-round-trips.js';
import { SignInFailed } from './sign-in-failure.js';
import type { SignInFlowRepo } from './sign-in-flows.repo.js';
import { formatUserCode, normalizeUserCode, randomSecret, randomUserCode, secretHash } from './sign-in-secrets.js';

/** The command line's client id at the vault (docs/design.md §2.11): a public client of the device grant. */
export const CLI_CLIENT_ID = 'fleetvault-cli';
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const DEVICE_CODE_TTL_SECONDS = 600;
/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval. */
const SLOW_DOWN_STEP_SECONDS = 5;

/** What the confirmation page shows once the person signed in at the provider. */
export interface DeviceConfirmation {
  userCode: string;
  person: string;
  /** The fleets the person may pick from; one when the device asked for a fleet or only one matches. */
  fleets: { id: string; name: string }[];
  /** The form's one-time token (its hash is stored): only this browser can approve (RFC 8628 §5.4). */
  confirm: string;
}

/**
 * The device authorization grant (RFC 8628) for `fleetvault login` and scripts: a device code the command line
 * polls with, a user code the person confirms in a browser after signing in at the provider (docs/sign-in.md).
 */
export function createDeviceSignIn(deps: {
  store: Store<{ signInFlows: SignInFlowRepo; fleets: Pick<FleetRepo, 'names'> }>;
  trips: ProviderRoundTrips;
  people: Pick<PersonSignIn, 'fleets' | 'signIn'>;
  clock: Clock;
  publicUrl: string;
}) {
  const { store, trips, people, clock } = deps;
  const flows = store.repos.signInFlows;
  const verificationUri = `${deps.publicUrl}/auth/device`;
  const expired = (row: { expires_at: string }) => row.expires_at < clock.now().toISOString();

  async function pendingRow(typed: string) {
    const userCode = normalizeUserCode(typed);
    const row = userCode === undefined ? undefined : await flows.findDeviceByUserCode(userCode);
    if (row === undefined || expired(row) || row.status !== 'pending') {
      throw new SignInFailed('invalid-user-code', 'This code is unknown, expired or already used. Run fleetvault login again.', 404);
    }
    return row;
  }

  return {
    verificationUri,

    /** RFC 8628 §3.1–3.2: `POST /oauth/device_authorization`. */
    async authorize(params: Record<string, string>) {
      if (params.client_id !== CLI_CLIENT_ID) throw new InvalidClient('client_id must be fleetvault-cli');
      const fleet = params.fleet;
      if (fleet !== undefined && (fleet === '' || fleet.length > 64)) throw new InvalidRequest('fleet must be a fleet id');
      const deviceCode = randomSecret();
      const userCode = randomUserCode();
      const now = clock.now();
      await flows.insertDevice(
        {
          device_code_hash: secretHash(deviceCode),
          user_code: userCode,
          fleet_id: fleet ?? null,
          status: 'pending',
          identity: null,
          confirm_hash: null,
          interval_seconds: DEVICE_POLL_INTERVAL_SECONDS,
          last_polled_at: null,
          expires_at: new Date(now.getTime() + DEVICE_CODE_TTL_SECONDS * 1000).toISOString(),
        },
        now,
      );
      const shown = formatUserCode(userCode);
      return {
        device_code: deviceCode,
        user_code: shown,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${shown}`,
        expires_in: DEVICE_CODE_TTL_SECONDS,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
      };
    },

    /** The verification page's code, then the provider (the round trip carries the user code). */
    async startVerification(typedUserCode: string): Promise<URL> {
      const row = await pendingRow(typedUserCode);
      return trips.start({ purpose: 'device', userCode: row.user_code });
    },

    /** Back from the provider: which fleet, and a confirmation form (RFC 8628 §5.4: the person approves). */
    async complete({ row: trip, identity }: FinishedRoundTrip): Promise<DeviceConfirmation> {
      const row = await pendingRow(trip.user_code ?? '');
      const matched = await people.fleets(identity);
      const fleets = row.fleet_id === null ? matched : matched.filter((id) => id === row.fleet_id);
      if (fleets.length === 0) {
        // The command line learns it at once (access_denied) instead of polling until the code expires.
        await flows.denyDevice(row.user_code);
        const reason = row.fleet_id === null ? 'no-matching-rule' : 'fleet-not-matched';
        throw new SignInFailed(reason, 'No sign-in rule lets you in here. Ask a fleet administrator for access.', 403);
      }
      const confirm = randomSecret();
      if (!(await flows.markDeviceSignedIn(row.user_code, identityText(identity), secretHash(confirm)))) {
        throw new SignInFailed('invalid-user-code', 'This code was already used. Run fleetvault login again.', 409);
      }
      return {
        userCode: formatUserCode(row.user_code),
        person: personLabel(identity),
        fleets: await store.repos.fleets.names(fleets),
        confirm,
      };
    },

    /** The person's answer on the confirmation page. */
    async decide(form: {
      user_code: string;
      confirm: string;
      approve: boolean;
      fleet: string | undefined;
    }): Promise<'approved' | 'denied'> {
      const userCode = normalizeUserCode(form.user_code);
      const row = userCode === undefined ? undefined : await flows.findDeviceByUserCode(userCode);
      if (row === undefined || expired(row) || row.status !== 'signed_in' || row.identity === null) {
        throw new SignInFailed('invalid-user-code', 'This code is unknown, expired or already decided. Run fleetvault login again.', 404);
      }
      let fleetId: string | null = null;
      if (form.approve) {
        const matched = await people.fleets(identityOf(row.identity));
        fleetId = row.fleet_id ?? form.fleet ?? (matched.length === 1 ? matched[0]! : null);
        if (fleetId === null || !matched.includes(fleetId)) throw new SignInFailed('fleet-not-matched', 'Choose one of your fleets.', 400);
      }
      const status = form.approve ? 'approved' : 'denied';
      if (!(await flows.decideDevice(row.user_code, secretHash(form.confirm), { status, fleetId }))) {
        throw new SignInFailed('invalid-state', 'This confirmation is not valid any more. Run fleetvault login again.', 403);
      }
      return status;
    },

    /** RFC 8628 §3.4–3.5: `grant_type=urn:ietf:params:oauth:grant-type:device_code`. */
    async poll(params: Record<string, string>, requestId: string | null): Promise<PersonToken> {
      if (params.client_id !== CLI_CLIENT_ID) throw new InvalidClient('client_id must be fleetvault-cli for this grant');
      const deviceCode = params.device_code;
      if (deviceCode === undefined || deviceCode === '' || deviceCode.length > 512) throw new InvalidRequest('device_code is required');
      const hash = secretHash(deviceCode);
      const row = await flows.findDevice(hash);
      if (row === undefined) throw new InvalidGrant('the device code is unknown or already used');
      if (expired(row)) {
        await flows.deleteDevice(hash);
        throw new ExpiredToken('the device code expired: start again with a new device authorization');
      }
      const now = clock.now();
      const tooSoon = row.last_polled_at !== null && now.getTime() - Date.parse(row.last_polled_at) < row.interval_seconds * 1000;
      await flows.recordPoll(hash, now, row.interval_seconds + (tooSoon ? SLOW_DOWN_STEP_SECONDS : 0));
      if (tooSoon) throw new SlowDown(`polled too fast: wait ${row.interval_seconds + SLOW_DOWN_STEP_SECONDS} seconds between requests`);
      if (row.status === 'denied') {
        await flows.deleteDevice(hash);
        throw new AccessDenied('the sign-in was denied');
      }
      if (row.status !== 'approved' || row.identity === null || row.fleet_id === null) {
        throw new AuthorizationPending('the person has not yet approved this device');
      }
      if (!(await flows.takeApprovedDevice(hash))) throw new InvalidGrant('the device code is unknown or already used');
      try {
        return await people.signIn(identityOf(row.identity), row.fleet_id, requestId);
      } catch (error) {
        // The rule was deleted between approval and this poll.
        if (error instanceof SignInRefused) throw new AccessDenied(error.message);
        throw error;
      }
    },
  };
}

export type DeviceSignIn = ReturnType<typeof createDeviceSignIn>;
