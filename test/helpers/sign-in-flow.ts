import { createHash, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './test-app.js';

/** Follows the provider's redirects with fetch (its cookies kept) until it sends the browser back to the vault. */
export async function throughProvider(location: string, publicUrl: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = location;
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const next = res.headers.get('location');
    if (next === null) throw new Error(`the provider answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`);
    url = new URL(next, url).href;
    if (url.startsWith(publicUrl)) return new URL(url);
  }
  throw new Error('too many redirects at the provider');
}

/** The console's side of PKCE (RFC 7636 §4.1–4.2). */
export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface ConsoleSignInResult {
  /** The vault's answer at /auth/oidc/callback. */
  callback: LightMyRequestResponse;
  /** The provider's redirect to the callback (to replay it). */
  callbackUrl: URL;
  /** The one-time code, when the callback sent the console one. */
  code: string | undefined;
  state: string;
  verifier: string;
  redirectUri: string;
}

/** The console's sign-in over HTTP: /auth/authorize → the provider → /auth/oidc/callback (inject for the vault). */
export async function consoleSignIn(t: TestApp, beforeCallback?: () => void): Promise<ConsoleSignInResult> {
  const redirectUri = `${t.config.publicUrl}/console/`;
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: 'fleetvault-console',
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  });
  const start = await t.app.inject({ method: 'GET', url: `/auth/authorize?${query}` });
  if (start.statusCode !== 302) throw new Error(`authorize answered ${start.statusCode}: ${start.body}`);
  const callbackUrl = await throughProvider(String(start.headers.location), t.config.publicUrl);
  beforeCallback?.();
  const callback = await t.app.inject({ method: 'GET', url: `${callbackUrl.pathname}${callbackUrl.search}` });
  const back = callback.statusCode === 302 ? new URL(String(callback.headers.location)) : undefined;
  return { callback, callbackUrl, code: back?.searchParams.get('code') ?? undefined, state, verifier, redirectUri };
}

/** The console's token request (RFC 6749 §4.1.3 with RFC 7636 §4.5). */
export function exchangeCode(t: TestApp, params: { code: string; verifier: string; redirectUri: string; fleet?: string }) {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'authorization_code',
      client_id: 'fleetvault-console',
      code: params.code,
      redirect_uri: params.redirectUri,
      code_verifier: params.verifier,
      ...(params.fleet !== undefined && { fleet: params.fleet }),
    },
  });
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.1: the command line's device authorization request (a form, as the RFC says). */
export async function authorizeDevice(t: TestApp, fleet?: string) {
  const form = new URLSearchParams({ client_id: 'fleetvault-cli', ...(fleet !== undefined && { fleet }) });
  const res = await t.app.inject({
    method: 'POST',
    url: '/oauth/device_authorization',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  });
  if (res.statusCode !== 200) throw new Error(`device authorization answered ${res.statusCode}: ${res.body}`);
  return res.json() as { device_code: string; user_code: string; verification_uri_complete: string; interval: number; expires_in: number };
}

/** RFC 8628 §3.4: one poll of the token endpoint. */
export function pollDevice(t: TestApp, deviceCode: string, clientId = 'fleetvault-cli') {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: DEVICE_CODE_GRANT, client_id: clientId, device_code: deviceCode },
  });
}

/** The person in the browser: the verification page, the provider, then the confirmation page (its form's fields). */
export async function verifyDevice(t: TestApp, userCode: string) {
  const start = await t.app.inject({ method: 'GET', url: `/auth/device?user_code=${encodeURIComponent(userCode)}` });
  if (start.statusCode !== 302) return { page: start, confirm: undefined, fleets: [] as string[] };
  const callbackUrl = await throughProvider(String(start.headers.location), t.config.publicUrl);
  const page = await t.app.inject({ method: 'GET', url: `${callbackUrl.pathname}${callbackUrl.search}` });
  const confirm = /name="confirm" value="([^"]+)"/.exec(page.body)?.[1];
  const fleets = [...page.body.matchAll(/name="fleet" value="([^"]+)"/g)].map((m) => m[1]!);
  return { page, confirm, fleets };
}

/** Submits the confirmation form (application/x-www-form-urlencoded, as the browser does). */
export function decideDevice(t: TestApp, form: { user_code: string; confirm: string; decision: 'approve' | 'deny'; fleet?: string }) {
  return t.app.inject({
    method: 'POST',
    url: '/auth/device/confirm',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}
