import type { EmulatorSpec } from './emulator.js';
import { checkClient, readTokenForm, tokenAnswer } from './oauth.js';

/**
 * Smartcar API authentication (smartcar.com/docs/api-reference/authorization/overview): the OAuth
 * 2.0 client credentials flow, one application token "valid for 1 hour". Path and form as in
 * docs/design.md §2.9; the error for a bad secret follows RFC 6749 §5.2 (guessed: not on that page).
 */
export const smartcarEmulator: EmulatorSpec = {
  brand: 'smartcar',
  tokenLifetimeSeconds: 3600,
  handle(request, state) {
    const form = readTokenForm(request, '/oauth2/token');
    if (!(form instanceof URLSearchParams)) return form;
    return checkClient(state, form.get('client_id'), form.get('client_secret')) ?? tokenAnswer(state, 'smartcar', { token_type: 'Bearer' });
  },
};
