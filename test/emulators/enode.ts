import type { EmulatorSpec } from './emulator.js';
import { checkClient, oauthError, readTokenForm, tokenAnswer } from './oauth.js';

/**
 * Enode "Accessing the API" (developers.enode.com/docs/integration-guide/accessing-the-api): the
 * client id and secret go "as authorization headers" (HTTP Basic, RFC 6749 §2.3.1) to the
 * environment's OAuth URL with grant_type=client_credentials. A secret in the body is not accepted.
 * Lifetime (1 h) and the 401 invalid_client body are guessed.
 */
export const enodeEmulator: EmulatorSpec = {
  brand: 'enode',
  tokenLifetimeSeconds: 3600,
  handle(request, state) {
    const form = readTokenForm(request, '/oauth2/token');
    if (!(form instanceof URLSearchParams)) return form;
    if (form.has('client_secret')) return oauthError(400, 'invalid_request', 'authenticate with HTTP Basic');
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(String(request.headers.authorization ?? ''));
    if (match === null) return { ...oauthError(401, 'invalid_client'), headers: { 'www-authenticate': 'Basic' } };
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    const [clientId, secret] = colon < 0 ? [decoded, ''] : [decode(decoded.slice(0, colon)), decode(decoded.slice(colon + 1))];
    return checkClient(state, clientId, secret) ?? tokenAnswer(state, 'enode', { token_type: 'bearer', scope: '' });
  },
};
