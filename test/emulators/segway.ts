import type { EmulatorSpec } from './emulator.js';
import { checkClient, readTokenForm, tokenAnswer } from './oauth.js';

/**
 * Segway Discovery "request token" as documented (open.segwaydiscovery.com/documents/T60/, "Auth"):
 * POST /oauth/token, form client_id, client_secret, grant_type=client_credentials; 200
 * `{access_token, token_type: "bearer", expires_in: 43199, scope: "read write trust"}`;
 * 401 `{"error":"invalid_client","error_description":"Bad client credentials"}`.
 */
export const segwayEmulator: EmulatorSpec = {
  brand: 'segway',
  tokenLifetimeSeconds: 43_199,
  handle(request, state) {
    const form = readTokenForm(request, '/oauth/token');
    if (!(form instanceof URLSearchParams)) return form;
    const refused = checkClient(state, form.get('client_id'), form.get('client_secret'));
    return refused ?? tokenAnswer(state, 'segway', { token_type: 'bearer', scope: 'read write trust' });
  },
};
