import { createHmac } from 'node:crypto';
import type { AuditAction, AuditActor, AuditTarget } from './audit-actions.js';
import { canonicalJsonWithout } from './canonical-json.js';

/** The first event's `prev_hash` (docs/design.md §2.6): 43 `A`s, the base64url length of a SHA-256 HMAC. */
export const GENESIS_HASH = 'A'.repeat(43);
/** The chain of vault-wide events (fleet creation and deletion, key rotations): fleet_id null. */
export const SYSTEM_CHAIN = 'system';

export interface AuditEvent {
  id: string;
  fleet_id: string | null;
  seq: number;
  at: string;
  actor: AuditActor;
  action: AuditAction;
  target: AuditTarget;
  request_id: string | null;
  /** The caller's own X-Request-Id (printable ASCII, at most 128); absent when it sent none. */
  client_request_id?: string;
  outcome: 'success' | 'failure';
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export type UnhashedEvent = Omit<AuditEvent, 'hash'>;

/** `hash = HMAC-SHA256(audit key, prev_hash ‖ canonical JSON of the event without hash)`, base64url. */
export function eventHash(key: Buffer, event: UnhashedEvent | AuditEvent): string {
  return createHmac('sha256', key)
    .update(event.prev_hash)
    .update(canonicalJsonWithout(event as unknown as Record<string, unknown>, 'hash'))
    .digest('base64url');
}

export type Tampering = 'altered' | 'missing' | 'reordered' | 'inserted';

export interface ChainProblem {
  seq: number;
  kind: Tampering;
  detail: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface ChainReport {
  fleet_id: string | null;
  events: number;
  head: ChainHead;
  problem?: ChainProblem;
}

export interface VerifyChainOptions {
  key: Buffer;
  fleetId: string | null;
  /** The chain's events in ascending `seq`. */
  events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>;
  /** The head the vault itself recorded (audit_heads): a deleted tail leaves it behind. */
  storedHead?: ChainHead | undefined;
  /** A head anchored outside the vault (`--expect-head seq:hash`): catches a tail deleted together with the stored head. */
  expectHead?: ChainHead | undefined;
}

/** How far from its place a moved event is looked for (swapped rows are usually close). */
const REORDER_WINDOW = 1_000;

/**
 * Walks one chain and reports the first event that does not hold, with what was done to it:
 * `missing` (a gap in seq, or a tail shorter than a known head), `inserted` (an event the chain
 * goes around, or one past the recorded head), `reordered` (an authentic event whose seq was
 * changed), `altered` (anything else whose hash no longer matches). Forging a consistent
 * replacement needs the audit key, which only the master key opens.
 */
export async function verifyChain(options: VerifyChainOptions): Promise<ChainReport> {
  const { key, fleetId, storedHead, expectHead } = options;
  let expectedSeq = 1;
  let expectedPrev = GENESIS_HASH;
  let hashAtExpectedHead: string | undefined;
  const iterator = toAsyncIterator(options.events);
  const report = (problem?: ChainProblem): ChainReport => ({
    fleet_id: fleetId,
    events: expectedSeq - 1,
    head: { seq: expectedSeq - 1, hash: expectedPrev },
    ...(problem && { problem }),
  });

  let current = await iterator.next();
  while (!current.done) {
    const event = current.value;
    const following = await iterator.next();
    const next = following.done ? undefined : following.value;
    const problem = checkEvent(event, next);
    if (problem) return report(problem);
    if (expectHead !== undefined && event.seq === expectHead.seq) hashAtExpectedHead = event.hash;
    expectedSeq += 1;
    expectedPrev = event.hash;
    current = following;
  }

  const lastSeq = expectedSeq - 1;
  if (storedHead !== undefined) {
    if (storedHead.seq > lastSeq) {
      return report({
        seq: lastSeq + 1,
        kind: 'missing',
        detail: `the chain ends at seq ${lastSeq}, its recorded head is seq ${storedHead.seq}`,
      });
    }
    if (storedHead.seq < lastSeq) {
      return report({ seq: storedHead.seq + 1, kind: 'inserted', detail: `events past the recorded head (seq ${storedHead.seq})` });
    }
    if (storedHead.hash !== expectedPrev) {
      return report({ seq: lastSeq, kind: 'altered', detail: 'the last event does not have the recorded head hash' });
    }
  }
  if (expectHead !== undefined && expectHead.seq > 0) {
    if (expectHead.seq > lastSeq) {
      return report({
        seq: lastSeq + 1,
        kind: 'missing',
        detail: `the chain ends at seq ${lastSeq}, the expected head is seq ${expectHead.seq}`,
      });
    }
    if (hashAtExpectedHead !== expectHead.hash) {
      return report({ seq: expectHead.seq, kind: 'altered', detail: `the event at seq ${expectHead.seq} does not have the expected hash` });
    }
  }
  return report();

  function checkEvent(event: AuditEvent, next: AuditEvent | undefined): ChainProblem | undefined {
    if (event.fleet_id !== fleetId) {
      return { seq: event.seq, kind: 'inserted', detail: 'an event of another chain' };
    }
    if (event.seq > expectedSeq) {
      return {
        seq: expectedSeq,
        kind: 'missing',
        detail: `seq ${expectedSeq}${event.seq - 1 > expectedSeq ? `–${event.seq - 1}` : ''} absent`,
      };
    }
    const authentic = eventHash(key, event) === event.hash;
    if (authentic && event.prev_hash === expectedPrev) return undefined;
    if (authentic) return { seq: event.seq, kind: 'reordered', detail: 'an authentic event that followed another one' };
    const originalSeq = findOriginalSeq(event);
    if (originalSeq !== undefined) {
      return { seq: event.seq, kind: 'reordered', detail: `the event written as seq ${originalSeq} now stands at seq ${event.seq}` };
    }
    // The chain goes around this event: the next one follows its predecessor.
    const skipped = next !== undefined ? next.prev_hash === expectedPrev : storedHead !== undefined && storedHead.seq < event.seq;
    if (skipped) return { seq: event.seq, kind: 'inserted', detail: 'an event the chain does not link through' };
    return { seq: event.seq, kind: 'altered', detail: 'the event does not match its hash' };
  }

  function findOriginalSeq(event: AuditEvent): number | undefined {
    const low = Math.max(1, event.seq - REORDER_WINDOW);
    for (let seq = low; seq <= event.seq + REORDER_WINDOW; seq++) {
      if (seq !== event.seq && eventHash(key, { ...event, seq }) === event.hash) return seq;
    }
    return undefined;
  }
}

function toAsyncIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return { next: async () => sync.next() };
}
