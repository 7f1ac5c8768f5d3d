import type { BrandAdapter } from '../brand-adapter.js';
import { formBody, formHeaders, readOAuthAnswer } from './oauth-client-credentials.js';

/**
 * Jifeline Partner API (partner-api-001.redoc.ly, "Authentication"): `POST
 * https://partner-api-001.prd.jifeline.cloud/oauth2/token`, form `grant_type=client_credentials`,
 * `client_id`, `client_secret`; 200 `{access_token, expires_in: 3600, token_type: "Bearer"}`.
 * (Amazon Cognito behind it answers 400 `{"error":"invalid_client"}` for a bad secret.)
 */
export const openobdAdapter: BrandAdapter = {
  brand: 'openobd',
  takesScope: false,
  buildRequest: ({ fields, secrets }) => ({
    url: 'https://partner-api-001.prd.jifeline.cloud/oauth2/token',
    headers: formHeaders,
    body: formBody({ grant_type: 'client_credentials', client_id: fields.client_id, client_secret: secrets.client_secret }),
  }),
  readAnswer: (status, body) => readOAuthAnswer(status, body, 3600),
};
