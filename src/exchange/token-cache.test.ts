import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './brand-http-client.js';
import { createTokenCache, freshUntil } from './token-cache.js';

const token = { access_token: 't', token_type: 'Bearer', expires_in: 300 };

describe('freshUntil: expires_at − max(60 s, 10 % of the lifetime) (docs/design.md §2.9)', () => {
  it.each([
    [300, 240],
    [3600, 3240],
    [43_199, 38_879.1],
    [60, 0],
  ])('a %i s token is handed out for %d s', (lifetime, fresh) => {
    expect(freshUntil(0, lifetime * 1000)).toBeCloseTo(fresh * 1000, 0);
  });

  it('a token shorter than the margin is never cached', async () => {
    const cache = createTokenCache({ clock: { now: () => new Date(0) } });
    await cache.shared('k', 'c', async () => ({ token, expiresAt: 50_000 }));
    expect(cache.get('k')).toBeUndefined();
  });

  it('a delete during the upstream call keeps the late answer out of the cache', async () => {
    const cache = createTokenCache({ clock: { now: () => new Date(0) } });
    let release!: () => void;
    const flight = cache.shared('k', 'c', () => new Promise((resolve) => (release = () => resolve({ token, expiresAt: 3_600_000 }))));
    cache.forget('c');
    release();
    await flight;
    expect(cache.get('k')).toBeUndefined();
  });
});

describe('Retry-After (RFC 9110 §10.2.3)', () => {
  const now = new Date('2026-11-23T10:00:00Z');
  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['Mon, 23 Nov 2026 10:00:04 GMT', 4000],
    ['Mon, 23 Nov 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ])('%j → %j ms', (header, ms) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});
