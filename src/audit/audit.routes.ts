import { validationFailed } from '../core/app-error.js';
import { principalOf } from '../http/auth.js';
import { pageOf } from '../core/pagination.js';
import { cursorParam } from '../http/pagination-params.js';
import { type App, bearerSecurity } from '../http/route-types.js';
import type { AuditTrail } from './audit.service.js';
import { auditHeadSchema, auditListQuerySchema, auditListSchema } from './audit.schemas.js';

const tags = ['audit'];

/** The fleet's audit trail (docs/design.md §2.6): newest first, and its head to anchor outside the vault. */
export function registerAuditRoutes(app: App, audit: AuditTrail) {
  app.get('/audit', {
    config: { scope: 'audit:read' },
    schema: {
      tags,
      operationId: 'listAuditEvents',
      summary: 'List audit events, newest first',
      description:
        'The fleet\u2019s chain, newest first; filters `action`, `target_id`, `actor_id`, `since`, `until`; paged with `limit` and ' +
        '`cursor`. ' +
        'Each event carries `prev_hash` and `hash` (HMAC-SHA256) so `fleetvault audit verify` can check the chain.',
      security: bearerSecurity,
      querystring: auditListQuerySchema,
      response: { 200: auditListSchema.describe('A page of audit events; `next_cursor` is null on the last page') },
    },
    handler: async (request) => {
      const { limit, cursor, action, target_id, actor_id, since, until } = request.query;
      const after = cursorParam(cursor, ['number'] as const);
      const beforeSeq = after === undefined ? undefined : positiveSeq(after[0]);
      const events = await audit.list(principalOf(request).fleetId, {
        action,
        targetId: target_id,
        actorId: actor_id,
        since: since === undefined ? undefined : new Date(since).toISOString(),
        until: until === undefined ? undefined : new Date(until).toISOString(),
        beforeSeq,
        limit: limit + 1,
      });
      return pageOf(
        events,
        limit,
        (event) => event,
        (event) => [event.seq],
      );
    },
  });

  app.get('/audit/head', {
    config: { scope: 'audit:read' },
    schema: {
      tags,
      operationId: 'getAuditHead',
      summary: 'The latest audit event of the fleet, to anchor outside the vault',
      description:
        'Store `seq` and `hash` elsewhere; `fleetvault audit verify --expect-head <seq>:<hash>` later proves nothing before them was ' +
        'changed.',
      security: bearerSecurity,
      response: { 200: auditHeadSchema.describe('The chain head: `fleet_id`, `seq`, `hash`, `at`') },
    },
    handler: async (request) => audit.head(principalOf(request).fleetId),
  });
}

/** The cursor is the seq of the page's last event: a positive integer, else 422 like any foreign cursor. */
function positiveSeq(seq: number): number {
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw validationFailed([{ pointer: '/query/cursor', detail: 'is not a cursor this API returned' }]);
  return seq;
}
