import type { EmulatorResponse, EmulatorSpec } from './emulator.js';
import { newToken } from './emulator.js';

function rpcError(name: string, message: string): EmulatorResponse {
  // JSON-RPC failures come back as HTTP 200 with an `error` member (Geotab SDK "Concepts").
  return { status: 200, body: { error: { message, code: -32000, name: 'JSONRPCError', errors: [{ message, name }] }, jsonrpc: '2.0' } };
}

/**
 * MyGeotab `Authenticate` (developers.geotab.com/myGeotab/apiReference/methods/Authenticate; SDK
 * "Concepts": POST https://[myserver]/apiv1, JSON-RPC): params database, userName, password;
 * result LoginResult `{credentials: {database, sessionId, userName}, path: "ThisServer"}`; wrong
 * credentials: JSON-RPC error with errors[].name InvalidUserException. Accounts are `database/userName`.
 */
export const geotabEmulator: EmulatorSpec = {
  brand: 'geotab',
  tokenLifetimeSeconds: 3600,
  handle(request, state) {
    if (request.path.split('?')[0] !== '/apiv1') return { status: 404, body: {} };
    if (request.method !== 'POST') return { status: 405, body: {} };
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return rpcError('InvalidRequestException', 'JSON body expected');
    }
    let call: { method?: unknown; params?: Record<string, unknown> };
    try {
      call = JSON.parse(request.body) as typeof call;
    } catch {
      return rpcError('JsonSerializerException', 'malformed JSON');
    }
    if (call.method !== 'Authenticate') return rpcError('MissingMethodException', 'unknown method');
    const { database, userName, password } = call.params ?? {};
    if (typeof database !== 'string' || typeof userName !== 'string' || typeof password !== 'string') {
      return rpcError('ArgumentException', 'database, userName and password are required');
    }
    if (state.accounts.get(`${database}/${userName}`) !== password) {
      const echo = state.echoSecret ? ` (password "${password}")` : '';
      return rpcError('InvalidUserException', `Incorrect login credentials @ '${database}'${echo}`);
    }
    const sessionId = newToken('geotab');
    state.issued.push(sessionId);
    return { status: 200, body: { result: { credentials: { database, sessionId, userName }, path: 'ThisServer' }, jsonrpc: '2.0' } };
  },
};
