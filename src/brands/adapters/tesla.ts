import type { BrandAdapter } from '../brand-adapter.js';
import { formBody, formHeaders, readOAuthAnswer } from './oauth-client-credentials.js';

/**
 * Tesla Fleet API partner token (developer.tesla.com/docs/fleet-api/authentication/partner-tokens):
 * `POST https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token` (China: auth.tesla.cn), form
 * `grant_type=client_credentials`, `client_id`, `client_secret`, `audience` = the region's Fleet API base
 * URL (required), optional space-delimited `scope`.
 *
 * The host: the partner-tokens page still shows `auth.tesla.com`, but Tesla's notice to Fleet API partners
 * of July 2025 ("Action Required: Update Fleet API Authentication Host") moved every Fleet API `/token` call
 * to `fleet-auth.prd.vn.cloud.tesla.com` by 1 August 2025, host only, same path and parameters, and warned
 * that `auth.tesla.com` would be rate limited; the third-party-tokens page
 * (developer.tesla.com/docs/fleet-api/authentication/third-party-tokens) shows the new host. China keeps
 * `auth.tesla.cn` (developer.tesla.cn/docs/fleet-api/authentication/partner-tokens). docs/brands.md.
 */
const FLEET_AUTH_HOST = 'fleet-auth.prd.vn.cloud.tesla.com';

const regions: Record<string, { auth: string; audience: string }> = {
  na: { auth: FLEET_AUTH_HOST, audience: 'https://fleet-api.prd.na.vn.cloud.tesla.com' },
  eu: { auth: FLEET_AUTH_HOST, audience: 'https://fleet-api.prd.eu.vn.cloud.tesla.com' },
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
