import { describe, expect, it } from 'vitest';
import { CLIENT_LIVENESS_TTL_MS, createClientLiveness } from './client-liveness.js';

function setup(ttlMs?: number) {
  let now = 1_700_000_000_000;
  const live = new Set(['A']);
  let reads = 0;
  const liveness = createClientLiveness({
    clock: { now: () => new Date(now) },
    find: async (id) => (reads++, live.has(id) ? { secretStamp: 'stamp-1' } : undefined),
    ...(ttlMs !== undefined && { ttlMs }),
  });
  return { liveness, live, advance: (ms: number) => (now += ms), reads: () => reads };
}

describe('client liveness cache', () => {
  it('answers from the cache within the TTL and re-reads after it', async () => {
    const s = setup();
    expect(await s.liveness.isLive('A')).toBe(true);
    s.live.delete('A');
    s.advance(CLIENT_LIVENESS_TTL_MS - 1);
    expect(await s.liveness.isLive('A')).toBe(true);
    expect(s.reads()).toBe(1);
    s.advance(1);
    expect(await s.liveness.isLive('A')).toBe(false);
    expect(s.reads()).toBe(2);
  });

  it('forget() makes the next answer fresh; a clock going backwards does too', async () => {
    const s = setup();
    await s.liveness.isLive('A');
    s.live.delete('A');
    s.liveness.forget('A');
    expect(await s.liveness.isLive('A')).toBe(false);
    s.live.add('A');
    s.advance(-1);
    expect(await s.liveness.isLive('A')).toBe(true);
  });

  it('refuses a token carrying another secret stamp than the client\u2019s current one (rotated secret), within the TTL', async () => {
    const s = setup();
    expect(await s.liveness.refusal('A', 'stamp-1')).toBeUndefined();
    expect(await s.liveness.refusal('A', undefined)).toBeUndefined();
    expect(await s.liveness.refusal('A', 'stamp-0')).toMatch(/before the client\u2019s secret was rotated/);
    s.live.delete('A');
    s.advance(CLIENT_LIVENESS_TTL_MS);
    expect(await s.liveness.refusal('A', 'stamp-1')).toMatch(/has been deleted/);
  });

  it('refuses a TTL that would break the 5 s revocation promise', () => {
    expect(() => setup(CLIENT_LIVENESS_TTL_MS + 1)).toThrow(TypeError);
  });
});
