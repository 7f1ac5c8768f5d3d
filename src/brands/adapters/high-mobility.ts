import { createPrivateKey, sign } from 'node:crypto';
import type { BrandAdapter, ExchangeInput } from '../brand-adapter.js';
import { formBody, formHeaders, readOAuthAnswer } from './oauth-client-credentials.js';

/**
 * High Mobility OAuth 2.0 client credentials (docs.high-mobility.com/guides/platform/oauth2-client-credentials):
 * `POST {instance}/v1/access_tokens` with `grant_type=client_credentials` and either the client
 * secret or a client assertion (RFC 7523 §2.2) signed with the console's P-256 key. The answer is
 * `{access_token, expires_in: 300, scope, token_type: "bearer"}`: tokens last 5 minutes.
 */
const instances: Record<string, string> = {
  sandbox: 'https://sandbox.api.high-mobility.com',
  production: 'https://api.high-mobility.com',
};

/** RFC 7523 §2.2. */
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The assertion, signed inside the vault (docs/design.md §2.9): ES256, `iss` = the key id, `aud` =
 * `{instance}/v1` (HM's "used to ensure that the JWT was meant to be used for our REST API"), `iat`
 * now (HM allows 30 s of skew), a fresh UUID `jti` (single use), `ver: 2`.
 */
function clientAssertion(input: ExchangeInput, instance: string): string {
  const header = { alg: 'ES256', typ: 'JWT' };
  const claims = {
    iss: input.secrets.key_id,
    aud: `${instance}/v1`,
    iat: Math.floor(input.now.getTime() / 1000),
    jti: input.newJti(),
    ver: 2,
  };
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  // JWS ES256 signatures are the raw r ‖ s pair (RFC 7518 §3.4), not DER.
  const key = createPrivateKey(input.secrets.private_key!);
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

export const highMobilityAdapter: BrandAdapter = {
  brand: 'high-mobility',
  takesScope: false,
  buildRequest: (input) => {
    const instance = instances[input.fields.environment ?? 'sandbox'] ?? instances.sandbox!;
    const authentication =
      input.secrets.private_key !== undefined
        ? { client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion(input, instance) }
        : { client_secret: input.secrets.client_secret };
    return {
      url: `${instance}/v1/access_tokens`,
      headers: formHeaders,
      body: formBody({ grant_type: 'client_credentials', client_id: input.fields.client_id, ...authentication }),
    };
  },
  readAnswer: (status, body) => readOAuthAnswer(status, body, 300),
};
