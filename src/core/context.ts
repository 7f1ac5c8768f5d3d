import type { Grant } from './grant.js';

/**
 * Who changes something, on whose behalf and in which request: every state-changing service
 * method takes one, so the audit trail can record the actor in the change's own transaction.
 */
export interface Actor {
  /**
   * `client`: an API client (its id); `person`: a person signed in through the identity provider (their person id;
   * docs/design.md §2.11); `cli`: an operator at the fleetvault command; `system`: the server itself (bootstrap).
   */
  type: 'client' | 'cli' | 'system' | 'person';
  id: string;
  /** A person's email or name, recorded beside the id in the audit trail. */
  label?: string;
}

/** The fleet (and, for a restricted client, its restriction: `Grant`) a change is made in. */
export interface ActorContext extends Grant {
  actor: Actor;
  /** The HTTP request id the server generated (the X-Request-Id it answers); null outside a request. */
  requestId: string | null;
  /** The caller's own X-Request-Id, when it sent a well-formed one (src/http/client-request-id.ts). */
  clientRequestId?: string | undefined;
}

/** A change made in an HTTP request: it always has the request id the server generated. */
export interface RequestContext extends ActorContext {
  requestId: string;
}

/** The context of a change made before any fleet exists (creating one). */
export type FleetlessContext = Omit<ActorContext, 'fleetId'>;

/** A person's access tokens name them `person:<person id>` in `sub` (docs/design.md §2.11); a client's, by its id. */
export const PERSON_SUBJECT_PREFIX = 'person:';

export const cliActor: Actor = { type: 'cli', id: 'cli' };
export const systemActor: Actor = { type: 'system', id: 'system' };

/** An operator's change through the fleetvault command. */
export function cliContext(fleetId: string): ActorContext {
  return { fleetId, actor: cliActor, requestId: null };
}

/** A change the server makes on its own (the first start's bootstrap). */
export function systemContext(fleetId: string): ActorContext {
  return { fleetId, actor: systemActor, requestId: null };
}

/** An operator creating a fleet through the fleetvault command. */
export const cliFleetlessContext: FleetlessContext = { actor: cliActor, requestId: null };

/** The server creating the first start's fleet. */
export const systemFleetlessContext: FleetlessContext = { actor: systemActor, requestId: null };
