import type { Clock } from '../core/clock.js';

export interface BreakerOptions {
  /** Consecutive failed exchanges of one credential that open its breaker (5). */
  failureThreshold: number;
  /** How long a breaker stays open before one probe may pass (30 s). */
  openMs: number;
  /** The host's breaker opens on `failureThreshold` failures within `hostWindowMs` from at least this many fleets (3). */
  hostFleetThreshold: number;
  hostWindowMs: number;
  /** Breakers kept in memory; past it the least recently changed goes (10 000). */
  maxEntries?: number;
  /** A breaker unchanged this long is forgotten: it would be closed or half-open by now anyway (10 min). */
  idleMs?: number;
}

/** Whose exchange this is: a credential's failures are its own; the host's breaker counts fleets. */
export interface BreakerSubject {
  host: string;
  fleetId: string;
  /** Null for a verify-on-write before the credential exists: the fleet's new credentials share one breaker. */
  credentialId: string | null;
}

/** Why a request may not go: which breaker is open and the seconds until it lets a probe through. */
export interface BreakerRefusal {
  scope: 'credential' | 'host';
  retryAfterSeconds: number;
}

type Gate = { kind: 'closed' } | { kind: 'open'; until: number } | { kind: 'half-open'; probeUntil: number };
interface CredentialEntry {
  gate: Gate;
  failures: number;
  changedAt: number;
}
interface HostEntry {
  gate: Gate;
  /** Failures since the host last answered, newest last (at most `MAX_HOST_FAILURES`). */
  failures: { at: number; fleetId: string }[];
  changedAt: number;
}

const MAX_HOST_FAILURES = 64;

/** A map whose oldest-changed entries go first: bounded in size, and entries idle past `idleMs` are dropped. */
function boundedMap<V extends { changedAt: number }>(maxEntries: number, idleMs: number) {
  const entries = new Map<string, V>();
  return {
    get: (key: string) => entries.get(key),
    delete: (key: string) => entries.delete(key),
    /** Re-inserting keeps the map ordered by `changedAt`, so eviction only ever looks at its head. */
    set(key: string, value: V): void {
      entries.delete(key);
      entries.set(key, value);
      for (const [oldest, entry] of entries) {
        if (entries.size <= maxEntries && entry.changedAt > value.changedAt - idleMs) break;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * Circuit breakers for the brand hosts, two levels (docs/brands.md "Circuit breakers"):
 * - per host and credential: `failureThreshold` consecutive failures open it for `openMs`, then one probe
 *   goes (half-open) whose result closes or re-opens it. One fleet's failing credential (its own 429s,
 *   its own brand account's 5xx) stops only its own calls;
 * - per host: opens for `openMs` only when `failureThreshold` failures within `hostWindowMs`, with no
 *   success in between, come from at least `hostFleetThreshold` distinct fleets: a brand-wide outage,
 *   which no single fleet can fake.
 * Time comes from the injected clock, so tests move it instead of waiting.
 */
export function createCircuitBreakers(clock: Clock, options: BreakerOptions) {
  const maxEntries = options.maxEntries ?? 10_000;
  const idleMs = options.idleMs ?? 10 * 60_000;
  const credentials = boundedMap<CredentialEntry>(maxEntries, idleMs);
  const hosts = boundedMap<HostEntry>(maxEntries, idleMs);
  const keyOf = (s: BreakerSubject) => `${s.host}\n${s.fleetId}\n${s.credentialId ?? ''}`;

  /** Seconds until a probe may pass, or undefined when this gate lets the request through now. */
  function waitOf(gate: Gate, now: number): number | undefined {
    if (gate.kind === 'open' && now < gate.until) return Math.max(1, Math.ceil((gate.until - now) / 1000));
    // Half-open: the probe is out; everyone else waits for its verdict (or for it to be given up).
    if (gate.kind === 'half-open' && now < gate.probeUntil) return 1;
    return undefined;
  }

  /** An open gate whose time is up (or a lost probe) lets this request through as the probe. */
  const probe = (gate: Gate, now: number): Gate =>
    gate.kind === 'closed' ? gate : { kind: 'half-open', probeUntil: now + options.openMs };

  return {
    /** Undefined when the request may go (it may be the probe of an open breaker); otherwise which breaker refuses and for how long. */
    refuse(subject: BreakerSubject): BreakerRefusal | undefined {
      const now = clock.now().getTime();
      const credential = credentials.get(keyOf(subject));
      const host = hosts.get(subject.host);
      const credentialWait = credential && waitOf(credential.gate, now);
      if (credentialWait !== undefined) return { scope: 'credential', retryAfterSeconds: credentialWait };
      const hostWait = host && waitOf(host.gate, now);
      if (hostWait !== undefined) return { scope: 'host', retryAfterSeconds: hostWait };
      if (host !== undefined && host.gate.kind !== 'closed') host.gate = probe(host.gate, now);
      if (credential !== undefined && credential.gate.kind !== 'closed') credential.gate = probe(credential.gate, now);
      return undefined;
    },

    /** The brand answered (a refusal of the secrets included): both breakers close. */
    succeeded(subject: BreakerSubject): void {
      credentials.delete(keyOf(subject));
      hosts.delete(subject.host);
    },

    failed(subject: BreakerSubject): void {
      const now = clock.now().getTime();
      const openUntil = now + options.openMs;
      const key = keyOf(subject);
      const credential = credentials.get(key) ?? { gate: { kind: 'closed' }, failures: 0, changedAt: now };
      const failures = credential.gate.kind === 'closed' ? credential.failures + 1 : options.failureThreshold;
      const credentialOpens = failures >= options.failureThreshold;
      credentials.set(key, { gate: credentialOpens ? { kind: 'open', until: openUntil } : { kind: 'closed' }, failures, changedAt: now });

      const host = hosts.get(subject.host) ?? { gate: { kind: 'closed' }, failures: [], changedAt: now };
      // A failing probe (or a request that left before the host opened) keeps the host open.
      if (host.gate.kind !== 'closed') {
        hosts.set(subject.host, { gate: { kind: 'open', until: openUntil }, failures: [], changedAt: now });
        return;
      }
      const recent = [...host.failures.filter((f) => f.at > now - options.hostWindowMs), { at: now, fleetId: subject.fleetId }];
      const fleets = new Set(recent.map((f) => f.fleetId)).size;
      const hostOpens = recent.length >= options.failureThreshold && fleets >= options.hostFleetThreshold;
      hosts.set(
        subject.host,
        hostOpens
          ? { gate: { kind: 'open', until: openUntil }, failures: [], changedAt: now }
          : { gate: { kind: 'closed' }, failures: recent.slice(-MAX_HOST_FAILURES), changedAt: now },
      );
    },

    /** How many breakers are held in memory (tests, operators). */
    size: () => ({ credentials: credentials.size, hosts: hosts.size }),
  };
}

export type CircuitBreakers = ReturnType<typeof createCircuitBreakers>;
