import { describe, expect, it } from 'vitest';
import { type BreakerSubject, createCircuitBreakers } from './circuit-breaker.js';

function breakersAt(options: { maxEntries?: number; idleMs?: number } = {}) {
  const clock = { ms: 0, now: () => new Date(clock.ms) };
  const breakers = createCircuitBreakers(clock, {
    failureThreshold: 2,
    openMs: 30_000,
    hostFleetThreshold: 3,
    hostWindowMs: 60_000,
    ...options,
  });
  return { clock, breakers };
}

const subject = (fleetId: string, credentialId: string | null = `${fleetId}-c1`, host = 'brand.example'): BreakerSubject => ({
  host,
  fleetId,
  credentialId,
});

describe('circuit breakers per host and credential', () => {
  it('a credential opens after the threshold, lets one probe through after the window, closes on its success', () => {
    const { clock, breakers } = breakersAt();
    const a = subject('A');
    breakers.failed(a);
    expect(breakers.refuse(a)).toBeUndefined();
    breakers.failed(a);
    expect(breakers.refuse(a)).toEqual({ scope: 'credential', retryAfterSeconds: 30 });
    // Another credential of the same fleet, and another fleet, on the same host: untouched.
    expect(breakers.refuse(subject('A', 'A-c2'))).toBeUndefined();
    expect(breakers.refuse(subject('B'))).toBeUndefined();
    clock.ms = 30_000;
    expect(breakers.refuse(a)).toBeUndefined();
    // While the probe is out, the credential's other requests wait.
    expect(breakers.refuse(a)).toEqual({ scope: 'credential', retryAfterSeconds: 1 });
    breakers.succeeded(a);
    expect(breakers.refuse(a)).toBeUndefined();
  });

  it('a probe that never reports is given up after the open time: the next request probes', () => {
    const { clock, breakers } = breakersAt();
    const a = subject('A');
    breakers.failed(a);
    breakers.failed(a);
    clock.ms = 30_000;
    expect(breakers.refuse(a)).toBeUndefined();
    clock.ms = 59_999;
    expect(breakers.refuse(a)?.retryAfterSeconds).toBe(1);
    clock.ms = 60_000;
    expect(breakers.refuse(a)).toBeUndefined();
  });

  it('the host opens only when the failures come from 3 fleets: one fleet with many credentials cannot open it', () => {
    const { breakers } = breakersAt();
    for (let i = 0; i < 20; i++) breakers.failed(subject('A', `A-c${i}`));
    for (let i = 0; i < 20; i++) breakers.failed(subject('B', `B-c${i}`));
    expect(breakers.refuse(subject('C'))).toBeUndefined();
    breakers.failed(subject('C'));
    expect(breakers.refuse(subject('D'))).toEqual({ scope: 'host', retryAfterSeconds: 30 });
    expect(breakers.refuse(subject('D', 'D-c1', 'other-brand.example'))).toBeUndefined();
  });

  it('a success on the host, or a minute without failures, starts the count again', () => {
    const { clock, breakers } = breakersAt();
    breakers.failed(subject('A'));
    breakers.failed(subject('B'));
    breakers.succeeded(subject('E'));
    breakers.failed(subject('C'));
    expect(breakers.refuse(subject('D'))).toBeUndefined();
    clock.ms = 60_001;
    breakers.failed(subject('A', 'A-c2'));
    breakers.failed(subject('B', 'B-c2'));
    expect(breakers.refuse(subject('D'))).toBeUndefined();
    breakers.failed(subject('C', 'C-c2'));
    expect(breakers.refuse(subject('D'))?.scope).toBe('host');
  });

  it('an open host lets one probe through after 30 s; its failure re-opens it, its success closes it', () => {
    const { clock, breakers } = breakersAt();
    for (const fleet of ['A', 'B', 'C']) breakers.failed(subject(fleet));
    clock.ms = 30_000;
    expect(breakers.refuse(subject('D'))).toBeUndefined();
    expect(breakers.refuse(subject('E'))).toEqual({ scope: 'host', retryAfterSeconds: 1 });
    breakers.failed(subject('D'));
    expect(breakers.refuse(subject('E'))).toEqual({ scope: 'host', retryAfterSeconds: 30 });
    clock.ms = 60_000;
    expect(breakers.refuse(subject('E'))).toBeUndefined();
    breakers.succeeded(subject('E'));
    expect(breakers.refuse(subject('F'))).toBeUndefined();
  });

  it('memory is bounded: at most maxEntries breakers, and idle ones are forgotten', () => {
    const { clock, breakers } = breakersAt({ maxEntries: 100, idleMs: 600_000 });
    for (let i = 0; i < 1000; i++) breakers.failed(subject(`F${i}`, 'c', `h${i % 10}.example`));
    expect(breakers.size()).toEqual({ credentials: 100, hosts: 10 });
    clock.ms = 600_001;
    breakers.failed(subject('late'));
    expect(breakers.size()).toEqual({ credentials: 1, hosts: 1 });
  });
});
