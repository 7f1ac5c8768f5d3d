import type { EmulatorRequest, EmulatorResponse, EmulatorState } from './emulator.js';
import { newToken } from './emulator.js';

/** RFC 6749 §5.2 error body; `description` may echo the secret when the emulator is told to. */
export function oauthError(status: number, error: string, description?: string): EmulatorResponse {
  return { status, body: { error, ...(description !== undefined && { error_description: description }) } };
}

/** The checks every documented form-encoded token endpoint makes before looking at credentials. */
export function readTokenForm(request: EmulatorRequest, path: string): URLSearchParams | EmulatorResponse {
  if (request.path.split('?')[0] !== path) return { status: 404, body: { error: 'not_found' } };
  if (request.method !== 'POST') return { status: 405, body: { error: 'method_not_allowed' } };
  if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(request.body);
  if (form.get('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type');
  return form;
}

/** Checks a client id and secret against the registered accounts (the secret echoed on request). */
export function checkClient(
  state: EmulatorState,
  clientId: string | null,
  secret: string | null,
  status = 401,
): EmulatorResponse | undefined {
  if (clientId !== null && secret !== null && state.accounts.get(clientId) === secret) return undefined;
  const echo = state.echoSecret ? `client_secret "${secret}" is not valid for ${clientId}` : 'Bad client credentials';
  return oauthError(status, 'invalid_client', echo);
}

/** A token answer (RFC 6749 §5.1) in the brand's shape. */
export function tokenAnswer(state: EmulatorState, brand: string, extra: Record<string, unknown> = {}): EmulatorResponse {
  const accessToken = newToken(brand);
  state.issued.push(accessToken);
  return { status: 200, body: { access_token: accessToken, expires_in: state.tokenLifetimeSeconds, ...extra } };
}
