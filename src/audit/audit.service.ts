import type { Clock, IdGenerator } from '../core/clock.js';
import { AppError } from '../core/app-error.js';
import { type AuditAction, type AuditActor, type AuditDetails, type AuditTarget, auditActions } from './audit-actions.js';
import { type AuditEvent, type ChainHead, type ChainReport, eventHash, GENESIS_HASH, SYSTEM_CHAIN, verifyChain } from './audit-chain.js';
import type { AuditListFilter, AuditRepo } from './audit.repo.js';
import type { WebhookDeliveryRepo } from '../webhooks/webhook-deliveries.repo.js';

/** One event to append; the writer adds id, seq, time and the chain's hashes. */
export interface AuditRecord<A extends AuditAction = AuditAction> {
  /** The fleet's chain, or null for the system chain. */
  fleetId: string | null;
  actor: AuditActor;
  action: A;
  target: AuditTarget;
  requestId: string | null;
  /** The caller's own X-Request-Id; hashed into the event only when present, so events without one hash as before. */
  clientRequestId?: string | undefined;
  outcome?: 'success' | 'failure';
  details: AuditDetails<A>;
}

/** The outbox an appended event writes its webhook deliveries to (docs/design.md §2.13). */
export type AuditOutbox = Pick<WebhookDeliveryRepo, 'enqueue'>;

/** What an append needs of a unit of work: every service that audits declares both. */
export interface AuditRepos {
  audit: AuditRepo;
  webhookDeliveries: AuditOutbox;
}

/** Verify and export read a chain in pages of this many events. */
const STREAM_PAGE = 5_000;

/**
 * The audit trail (docs/design.md §2.6). `append` writes into the caller's transaction (`repos` bound to
 * it), so the event and the change it records commit or roll back together; any failure to write
 * it is 503 `service-unavailable`, and with the rollback nothing was changed (fail-closed).
 */
export function createAuditTrail(deps: { key: Buffer; clock: Clock; ids: IdGenerator; repos: AuditRepos }) {
  const { key, clock, ids, repos } = deps;

  async function* stream(chain: string, since?: string): AsyncGenerator<AuditEvent> {
    let after = 0;
    for (;;) {
      const page = await repos.audit.page(chain, after, STREAM_PAGE, since);
      yield* page;
      if (page.length < STREAM_PAGE) return;
      after = page[page.length - 1]!.seq;
    }
  }

  return {
    async append<A extends AuditAction>(trx: AuditRepos, record: AuditRecord<A>): Promise<AuditEvent> {
      const spec = auditActions[record.action];
      // A details object off its schema is a programmer mistake (and could carry a secret): never written.
      const details = spec.details.parse(record.details) as Record<string, unknown>;
      if (record.target.type !== spec.target) throw new TypeError(`${record.action} targets a ${spec.target}, not a ${record.target.type}`);
      const chain = record.fleetId ?? SYSTEM_CHAIN;
      try {
        const { seq, prevHash } = await trx.audit.takeNextSeq(chain);
        const unhashed = {
          id: ids.next(),
          fleet_id: record.fleetId,
          seq,
          at: clock.now().toISOString(),
          actor:
            record.actor.label === undefined
              ? { type: record.actor.type, id: record.actor.id }
              : { type: record.actor.type, id: record.actor.id, label: record.actor.label },
          action: record.action,
          target: record.target.brand === undefined ? { type: record.target.type, id: record.target.id } : { ...record.target },
          request_id: record.requestId,
          ...(record.clientRequestId !== undefined && { client_request_id: record.clientRequestId }),
          outcome: record.outcome ?? 'success',
          details,
          prev_hash: prevHash,
        };
        const event = { ...unhashed, hash: eventHash(key, unhashed) };
        await trx.audit.insert(chain, event);
        // The outbox (docs/design.md §2.13): the event's deliveries commit with it, or not at all. Here, the one
        // place every event is written, so no path that changes something can forget them.
        await trx.webhookDeliveries.enqueue(event, () => ids.next());
        return event;
      } catch (error) {
        const unavailable = new AppError('service-unavailable', 'The audit trail could not be written, so nothing was done; retry later.');
        // Kept for the log line of the error handler; the caller only ever sees the problem above.
        return Promise.reject(Object.assign(unavailable, { cause: error }));
      }
    },

    async list(fleetId: string, filter: AuditListFilter): Promise<AuditEvent[]> {
      return repos.audit.list(fleetId, filter);
    },

    /** The fleet chain's latest event, to anchor outside the vault; seq 0 and the genesis hash before the first. */
    async head(fleetId: string): Promise<{ fleet_id: string; seq: number; hash: string; at: string | null }> {
      const head = await repos.audit.head(fleetId);
      return { fleet_id: fleetId, seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS_HASH, at: head?.at ?? null };
    },

    /** Verifies one fleet's chain, or every chain (the system chain included) when no fleet is given. */
    async verify(options: { fleetId?: string | undefined; expectHead?: ChainHead | undefined } = {}): Promise<ChainReport[]> {
      const chains = options.fleetId === undefined ? await repos.audit.chains() : [options.fleetId];
      const reports: ChainReport[] = [];
      for (const chain of chains) {
        reports.push(
          await verifyChain({
            key,
            fleetId: chain === SYSTEM_CHAIN ? null : chain,
            events: stream(chain),
            storedHead: await repos.audit.head(chain),
            expectHead: options.fleetId === undefined ? undefined : options.expectHead,
          }),
        );
      }
      return reports;
    },

    /** A fleet's events oldest first (JSON lines export). */
    export: (fleetId: string, since?: string) => stream(fleetId, since),
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
