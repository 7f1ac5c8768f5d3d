import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { InvalidClient, InvalidGrant } from './oauth-errors.js';
import { JWT_BEARER_GRANT, type TokenService } from './token.service.js';

/** The token service with its own counter on the app's registry: issued tokens by grant type (a supported one, since it issued). */
export function countTokens(service: TokenService, registry: Registry): TokenService {
  const issued = new Counter({
    name: 'fleetvault_tokens_issued_total',
    help: 'Access tokens issued, by grant type.',
    labelNames: ['grant'] as const,
    registers: [registry],
  });
  return {
    ...service,
    async token(request) {
      const token = await service.token(request);
      issued.inc({ grant: request.grantType ?? 'unknown' });
      return token;
    },
    // POST /v1/auth_tokens is the jwt-bearer grant in High Mobility's envelope.
    async authToken(assertion, requestId, clientRequestId) {
      const token = await service.authToken(assertion, requestId, clientRequestId);
      issued.inc({ grant: JWT_BEARER_GRANT });
      return token;
    },
  };
}

/** Counts the token endpoints' refused clients (`invalid_client`, `invalid_grant`) on the shared authentication-failure counter. */
export function countTokenEndpointFailures(scope: FastifyInstance, failures: Counter<'reason'>): void {
  scope.addHook('onError', async (_request, _reply, error) => {
    if (error instanceof InvalidClient) failures.inc({ reason: 'invalid_client' });
    else if (error instanceof InvalidGrant) failures.inc({ reason: 'invalid_grant' });
  });
}
