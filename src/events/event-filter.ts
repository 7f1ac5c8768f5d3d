import type { AuditEvent } from '../audit/audit-chain.js';
import type { AuditAction } from '../audit/audit-actions.js';
import type { CredentialRestriction } from '../core/grant.js';

/**
 * What one watch stream may see of its fleet's events (docs/design.md §2.13, docs/events.md "Who sees what"):
 * - `credentialsOnly`: a caller admitted by `credentials:read` alone sees `credential.*` actions only; `audit:read`
 *   sees every action of the fleet's chain;
 * - `restriction`: a restricted client (docs/grants.md) sees only events whose target is a credential inside its
 *   restriction: of one of its brands and, with an id restriction, one of its ids. An event naming no credential
 *   (a refused create has no id) is outside an id restriction. Nothing else of the fleet (its vehicles, clients,
 *   tokens) reaches it: a restricted client cannot hold `audit:read`, so it is always `credentialsOnly` too;
 * - `actions`: the caller's own `?actions=` filter, narrowing what the above allow.
 */
export interface EventView {
  readonly credentialsOnly: boolean;
  readonly restriction: CredentialRestriction | undefined;
  readonly actions: ReadonlySet<AuditAction> | undefined;
}

/**
 * Whether the stream of `view` shows `event`. The watch stream reads a fleet's events once for all its streams
 * (one reader per fleet, src/events/fleet-feeds.ts), so each caller's grant is applied here, to every event,
 * replayed or live, before anything of it is written to that caller.
 */
export function isVisible(event: AuditEvent, view: EventView): boolean {
  if (view.actions !== undefined && !view.actions.has(event.action)) return false;
  const isCredentialEvent = event.target.type === 'credential' && event.action.startsWith('credential.');
  if (view.credentialsOnly && !isCredentialEvent) return false;
  const { restriction } = view;
  if (restriction === undefined) return true;
  if (!isCredentialEvent) return false;
  if (restriction.brands !== undefined && (event.target.brand === undefined || !restriction.brands.includes(event.target.brand))) {
    return false;
  }
  if (restriction.credentialIds !== undefined && (event.target.id === null || !restriction.credentialIds.includes(event.target.id))) {
    return false;
  }
  return true;
}
