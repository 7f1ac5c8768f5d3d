import type { BrandAdapter } from '../brand-adapter.js';
import { formBody, formHeaders, readOAuthAnswer } from './oauth-client-credentials.js';

/**
 * Smartcar API authentication (smartcar.com/docs/api-reference/authorization/overview): the
 * OAuth 2.0 client credentials flow for one application-level token, valid for 1 hour;
 * `POST https://iam.smartcar.com/oauth2/token`, form `grant_type`, `client_id`, `client_secret`.
 */
export const smartcarAdapter: BrandAdapter = {
  brand: 'smartcar',
  takesScope: false,
  buildRequest: ({ fields, secrets }) => ({
    url: 'https://iam.smartcar.com/oauth2/token',
    headers: formHeaders,
    body: formBody({ grant_type: 'client_credentials', client_id: fields.client_id, client_secret: secrets.client_secret }),
  }),
  readAnswer: (status, body) => readOAuthAnswer(status, body, 3600),
};
