import type { EmulatorSpec } from './emulator.js';
import { checkClient, oauthError, readTokenForm, tokenAnswer } from './oauth.js';

/** The audiences Tesla documents: each region's Fleet API base URL. */
export const teslaAudiences = [
  'https://fleet-api.prd.na.vn.cloud.tesla.com',
  'https://fleet-api.prd.eu.vn.cloud.tesla.com',
  'https://fleet-api.prd.cn.vn.cloud.tesla.cn',
];

/**
 * Tesla partner token (developer.tesla.com/docs/fleet-api/authentication/partner-tokens): POST
 * /oauth2/v3/token, form grant_type=client_credentials, client_id, client_secret, `audience`
 * required ("Must be a Fleet API base URL"), optional space-delimited scope. The answer's shape
 * and the error for a bad secret are not on that page: RFC 6749 §5.1/§5.2 shapes, 8 h lifetime (guessed).
 */
export const teslaEmulator: EmulatorSpec = {
  brand: 'tesla',
  tokenLifetimeSeconds: 8 * 3600,
  handle(request, state) {
    const form = readTokenForm(request, '/oauth2/v3/token');
    if (!(form instanceof URLSearchParams)) return form;
    const audience = form.get('audience');
    if (audience === null || !teslaAudiences.includes(audience)) {
      return oauthError(400, 'invalid_request', 'audience must be a Fleet API base URL');
    }
    const scope = form.get('scope') ?? 'openid vehicle_device_data';
    const refused = checkClient(state, form.get('client_id'), form.get('client_secret'));
    return refused ?? tokenAnswer(state, 'tesla', { token_type: 'Bearer', scope });
  },
};
