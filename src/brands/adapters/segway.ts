import type { BrandAdapter } from '../brand-adapter.js';
import { formBody, formHeaders, readOAuthAnswer } from './oauth-client-credentials.js';

/**
 * Segway Discovery "request token" (open.segwaydiscovery.com/documents/T60/, "Auth"): the
 * region host is named by the platform code's first letter (A apac, E eu, U us, C cn); form
 * `client_id`, `client_secret`, `grant_type=client_credentials`; 200 `{access_token,
 * token_type: "bearer", expires_in: 43199, scope}`, 401 `{"error":"invalid_client"}` for bad secrets.
 */
const hostByRegion: Record<string, string> = {
  asia: 'apac-api.segwaydiscovery.com',
  eu: 'eu-api.segwaydiscovery.com',
  us: 'us-api.segwaydiscovery.com',
  cn: 'cn-api.segwaydiscovery.com',
};

export const segwayAdapter: BrandAdapter = {
  brand: 'segway',
  takesScope: false,
  buildRequest: ({ fields, secrets }) => ({
    url: `https://${hostByRegion[fields.region ?? 'eu'] ?? hostByRegion.eu}/oauth/token`,
    headers: formHeaders,
    body: formBody({ client_id: fields.client_id, client_secret: secrets.client_secret, grant_type: 'client_credentials' }),
  }),
  // "its available value is within 86400 seconds" (ES doc): a day when the brand omits it.
  readAnswer: (status, body) => readOAuthAnswer(status, body, 86_400),
};
