import type { BrandAdapter } from '../brand-adapter.js';
import { basicAuthorization, formBody, formHeaders, readOAuthAnswer } from './oauth-client-credentials.js';

/**
 * Enode "Accessing the API" (developers.enode.com/docs/integration-guide/accessing-the-api): the
 * standard client credentials grant with the client id and secret as HTTP Basic authorization,
 * at the OAuth URL of the client's environment (`https://oauth.{sandbox,production}.enode.io/oauth2/token`).
 */
export const enodeAdapter: BrandAdapter = {
  brand: 'enode',
  takesScope: false,
  buildRequest: ({ fields, secrets }) => ({
    url: `https://oauth.${fields.environment === 'production' ? 'production' : 'sandbox'}.enode.io/oauth2/token`,
    headers: { ...formHeaders, authorization: basicAuthorization(fields.client_id ?? '', secrets.client_secret ?? '') },
    body: formBody({ grant_type: 'client_credentials' }),
  }),
  readAnswer: (status, body) => readOAuthAnswer(status, body, 3600),
};
