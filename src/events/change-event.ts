import type { AuditEvent } from '../audit/audit-chain.js';

/**
 * What a consumer receives for one audit event, over a webhook (the `data` of the body) and over the watch stream
 * (the `data:` line): the audit event's own fields, never a secret, ciphertext or token, because the audit trail
 * holds none (docs/design.md §2.13). Shared by webhooks and `GET /events` so the two never drift apart.
 */
export interface ChangeEventData {
  event_id: string;
  fleet_id: string | null;
  seq: number;
  actor: AuditEvent['actor'];
  target: AuditEvent['target'];
  outcome: AuditEvent['outcome'];
  details: AuditEvent['details'];
}

/** The Standard Webhooks body: `type` is the audit action, `timestamp` the event's time (RFC 3339). */
export interface ChangeEventBody {
  type: AuditEvent['action'];
  timestamp: string;
  data: ChangeEventData;
}

export function changeEventData(event: AuditEvent): ChangeEventData {
  return {
    event_id: event.id,
    fleet_id: event.fleet_id,
    seq: event.seq,
    actor: event.actor,
    target: event.target,
    outcome: event.outcome,
    details: event.details,
  };
}

export function changeEventBody(event: AuditEvent): ChangeEventBody {
  return { type: event.action, timestamp: event.at, data: changeEventData(event) };
}
