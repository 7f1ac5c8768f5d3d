import type { EmulatorSpec } from './emulator.js';
import { checkClient, readTokenForm, tokenAnswer } from './oauth.js';

/**
 * Jifeline Partner API token (partner-api-001.redoc.ly, "Authentication"): POST /oauth2/token,
 * Content-Type application/x-www-form-urlencoded, grant_type=client_credentials, client_id,
 * client_secret; 200 `{access_token, expires_in: 3600, token_type: "Bearer"}`. The endpoint is
 * Amazon Cognito's, which answers a bad secret with 400 `{"error":"invalid_client"}`.
 */
export const openobdEmulator: EmulatorSpec = {
  brand: 'openobd',
  tokenLifetimeSeconds: 3600,
  handle(request, state) {
    const form = readTokenForm(request, '/oauth2/token');
    if (!(form instanceof URLSearchParams)) return form;
    const refused = checkClient(state, form.get('client_id'), form.get('client_secret'), 400);
    return refused ?? tokenAnswer(state, 'openobd', { token_type: 'Bearer' });
  },
};
