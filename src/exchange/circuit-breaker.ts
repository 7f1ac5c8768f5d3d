import type { Clock } from '../core/clock.js';

export interface BreakerOptions {
  /** Consecutive failed exchanges that open the breaker (DESIGN.md §2.9: 5). */
  failureThreshold: number;
  /** How long it stays open before one probe may pass (30 s). */
  openMs: number;
}

type State = { kind: 'closed'; failures: number } | { kind: 'open'; until: number } | { kind: 'half-open' };

/**
 * A circuit breaker per brand host: after `failureThreshold` consecutive failures the host gets
 * no requests for `openMs`; then exactly one probe goes through (half-open), whose result closes
 * or re-opens it. Time comes from the injected clock, so tests move it instead of waiting.
 */
export function createCircuitBreakers(clock: Clock, options: BreakerOptions) {
  const hosts = new Map<string, State>();
  const stateOf = (host: string): State => hosts.get(host) ?? { kind: 'closed', failures: 0 };

  return {
    /** Undefined when a request may go; otherwise the seconds until the breaker lets a probe through. */
    refuse(host: string): number | undefined {
      const state = stateOf(host);
      if (state.kind === 'closed') return undefined;
      const now = clock.now().getTime();
      if (state.kind === 'open' && now >= state.until) {
        hosts.set(host, { kind: 'half-open' });
        return undefined;
      }
      // Half-open: the probe is out; everyone else waits for its verdict.
      const until = state.kind === 'open' ? state.until : now + 1000;
      return Math.max(1, Math.ceil((until - now) / 1000));
    },
    succeeded(host: string): void {
      hosts.delete(host);
    },
    failed(host: string): void {
      const state = stateOf(host);
      const failures = state.kind === 'closed' ? state.failures + 1 : options.failureThreshold;
      const opens = failures >= options.failureThreshold;
      hosts.set(host, opens ? { kind: 'open', until: clock.now().getTime() + options.openMs } : { kind: 'closed', failures });
    },
  };
}

export type CircuitBreakers = ReturnType<typeof createCircuitBreakers>;
