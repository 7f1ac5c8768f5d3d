import createClient from 'openapi-fetch';
import type { paths } from './api-types';
import type { TokenAnswer } from './api';

/**
 * A person's sign-in at the organisation's identity provider (docs/sign-in.md): the console is the public OAuth
 * client `fleetvault-console` of the vault (RFC 6749 §4.1 with PKCE, RFC 7636). Only the PKCE verifier and the
 * state survive the trip to the provider (sessionStorage, this tab only, removed on return); the access token
 * never leaves memory.
 */
const PENDING_KEY = 'fleetvault.person-sign-in';
export const CONSOLE_CLIENT_ID = 'fleetvault-console';

const redirectUri = () => `${location.origin}/console/`;
const client = () => createClient<paths>({ baseUrl: location.origin, credentials: 'omit' });

function randomText(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...data))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

async function s256(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...digest))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

/** Whether the vault has an identity provider, and its name for the button; undefined when off or unknown. */
export async function providerName(): Promise<string | undefined> {
  try {
    const { data } = await client().GET('/auth/sign-in-options');
    return data?.person_sign_in?.provider_name;
  } catch {
    return undefined;
  }
}

/** Leaves for the provider, through the vault's /auth/authorize. */
export async function startPersonSignIn(): Promise<void> {
  const verifier = randomText(32);
  const state = randomText(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CONSOLE_CLIENT_ID,
    redirect_uri: redirectUri(),
    code_challenge: await s256(verifier),
    code_challenge_method: 'S256',
    state,
  });
  location.assign(`/auth/authorize?${query}`);
}

export type Fleet = { id: string; name: string };

export type PersonSignInResult =
  | { kind: 'signed-in'; token: TokenAnswer; who: string }
  | { kind: 'choose-fleet'; fleets: Fleet[]; choose: (fleetId: string) => Promise<PersonSignInResult> }
  | { kind: 'failed'; message: string };

/**
 * Back from the provider: `?code&state` (or `?error`) on the console's URL. Undefined when the URL carries
 * neither. The URL is cleaned at once, so a reload does not replay the code.
 */
export async function finishPersonSignIn(): Promise<PersonSignInResult | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return undefined;
  history.replaceState(null, '', location.pathname);
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const { verifier, state } = pending === null ? { verifier: '', state: '' } : (JSON.parse(pending) as { verifier: string; state: string });
  // RFC 6749 §10.12: the answer must belong to the request this tab made.
  if (pending === null || params.get('state') !== state) {
    return { kind: 'failed', message: 'This sign-in was not started in this tab, or it was already used. Sign in again.' };
  }
  if (error !== null) return { kind: 'failed', message: `Sign-in failed: ${params.get('error_description') ?? error}` };
  return exchange(code!, verifier, undefined);
}

async function exchange(code: string, verifier: string, fleet: string | undefined): Promise<PersonSignInResult> {
  try {
    const { data, error, response } = await client().POST('/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: CONSOLE_CLIENT_ID,
        code,
        redirect_uri: redirectUri(),
        code_verifier: verifier,
        ...(fleet !== undefined && { fleet }),
      },
    });
    if (data !== undefined) {
      const person = data.person;
      const who =
        person === undefined ? 'you' : person.name !== null && person.email !== null ? `${person.name} (${person.email})` : person.label;
      return { kind: 'signed-in', token: data, who };
    }
    const body = error as { error?: string; error_description?: string; fleets?: Fleet[] } | undefined;
    // docs/sign-in.md: rules in several fleets answer invalid_request with the fleets; the same code takes `fleet`.
    if (body?.fleets !== undefined && body.fleets.length > 0) {
      return { kind: 'choose-fleet', fleets: body.fleets, choose: (fleetId) => exchange(code, verifier, fleetId) };
    }
    return { kind: 'failed', message: `Sign-in failed: ${body?.error_description ?? `HTTP ${response.status}`}. Sign in again.` };
  } catch {
    return { kind: 'failed', message: 'The vault did not answer. Check the connection and try again.' };
  }
}
