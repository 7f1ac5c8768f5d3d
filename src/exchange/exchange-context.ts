import type { FastifyRequest } from 'fastify';
import { principalOf } from '../http/auth.js';
import { clientRequestId } from '../http/client-request-id.js';
import type { ExchangeContext } from './exchange.service.js';

/** The verified caller and the request id, as the audit trail records them. */
export function exchangeContextOf(request: FastifyRequest): ExchangeContext {
  const principal = principalOf(request);
  return {
    fleetId: principal.fleetId,
    restriction: principal.restriction,
    actor: { type: 'client', id: principal.clientId },
    requestId: request.id,
    clientRequestId: clientRequestId(request),
  };
}
