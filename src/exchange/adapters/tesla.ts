import type { BrandAdapter } from '../brand-adapter.js';
import { formBody, formHeaders, readOAuthAnswer } from './oauth-client-credentials.js';

/**
 * Tesla Fleet API partner token (developer.tesla.com/docs/fleet-api/authentication/partner-tokens):
 * `POST https://auth.tesla.com/oauth2/v3/token` (China: auth.tesla.cn), form `grant_type=client_credentials`,
 * `client_id`, `client_secret`, `audience` = the region's Fleet API base URL (required), optional
 * space-delimited `scope`.
 */
const regions: Record<string, { auth: string; audience: string }> = {
  na: { auth: 'auth.tesla.com', audience: 'https://fleet-api.prd.na.vn.cloud.tesla.com' },
  eu: { auth: 'auth.tesla.com', audience: 'https://fleet-api.prd.eu.vn.cloud.tesla.com' },
  cn: { auth: 'auth.tesla.cn', audience: 'https://fleet-api.prd.cn.vn.cloud.tesla.cn' },
};

export const teslaAdapter: BrandAdapter = {
  brand: 'tesla',
  takesScope: true,
  buildRequest: ({ fields, secrets, scope }) => {
    const region = regions[fields.region ?? 'na'] ?? regions.na!;
    return {
      url: `https://${region.auth}/oauth2/v3/token`,
      headers: formHeaders,
      body: formBody({
        grant_type: 'client_credentials',
        client_id: fields.client_id,
        client_secret: secrets.client_secret,
        audience: region.audience,
        scope,
      }),
    };
  },
  // Tesla's tokens last 8 hours (guessed when expires_in is absent; the answer normally carries it).
  readAnswer: (status, body) => readOAuthAnswer(status, body, 8 * 3600),
};
