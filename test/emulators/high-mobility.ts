import { verify } from 'node:crypto';
import type { EmulatorRequest, EmulatorSpec, EmulatorState } from './emulator.js';
import { checkClient, oauthError, tokenAnswer } from './oauth.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** HM's documented tolerance for `iat` ("a tolerance of 30 seconds is used"). */
const IAT_SKEW_SECONDS = 30;

/** Form (RFC 6749) or the JSON body of HM's own curl example: both carry the same members. */
function readParams(request: EmulatorRequest): Record<string, string> | undefined {
  const type = String(request.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(request.body));
  if (type.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(request.body) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** RFC 7523 §3 as HM documents it: ES256, `iss` a registered key, `aud` the instance's /v1, fresh `iat`, single-use `jti`. */
function assertionProblem(jwt: string, audience: string, state: EmulatorState): string | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'malformed assertion';
  const [h, c, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'malformed assertion';
  }
  if (header.alg !== 'ES256') return 'alg must be ES256';
  const key = typeof claims.iss === 'string' ? state.keys.get(claims.iss) : undefined;
  if (key === undefined) return 'unknown iss';
  if (!verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) return 'bad signature';
  if (claims.aud !== audience) return 'wrong aud';
  const now = Math.floor(state.now() / 1000);
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - now) > IAT_SKEW_SECONDS) return 'iat outside the window';
  if (typeof claims.jti !== 'string' || claims.jti.length === 0) return 'jti required';
  if (state.jtis.has(claims.jti)) return 'jti already used';
  if (claims.ver !== undefined && claims.ver !== 1 && claims.ver !== 2) return 'unknown ver';
  state.jtis.add(claims.jti);
  return undefined;
}

/**
 * High Mobility OAuth 2.0 client credentials (docs.high-mobility.com/guides/platform/oauth2-client-credentials,
 * and the JWT claims of the service-account tutorial): POST /v1/access_tokens, grant_type=client_credentials,
 * client_id with client_secret or a client assertion; 200 `{access_token, expires_in: 300, scope,
 * token_type: "bearer"}`. The error body for a refused client is guessed (RFC 6749 §5.2).
 */
export function highMobilityEmulator(instance = 'https://sandbox.api.high-mobility.com'): EmulatorSpec {
  return {
    brand: 'high-mobility',
    tokenLifetimeSeconds: 300,
    handle(request, state) {
      if (request.path.split('?')[0] !== '/v1/access_tokens') return { status: 404, body: { errors: [{ title: 'Not found' }] } };
      if (request.method !== 'POST') return { status: 405, body: { errors: [{ title: 'Method not allowed' }] } };
      const params = readParams(request);
      if (params === undefined) return oauthError(400, 'invalid_request', 'send a form or JSON body');
      if (params.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type');
      const clientId = params.client_id ?? null;
      if (clientId === null || !state.accounts.has(clientId)) return oauthError(401, 'invalid_client', 'unknown client_id');
      if (params.client_assertion !== undefined) {
        if (params.client_assertion_type !== ASSERTION_TYPE) return oauthError(400, 'invalid_request', 'client_assertion_type');
        const problem = assertionProblem(params.client_assertion, `${instance}/v1`, state);
        if (problem !== undefined) return oauthError(401, 'invalid_client', problem);
      } else {
        const refused = checkClient(state, clientId, params.client_secret ?? null);
        if (refused) return refused;
      }
      return tokenAnswer(state, 'high-mobility', { token_type: 'bearer', scope: 'fleet:clearance vehicle:data' });
    },
  };
}
