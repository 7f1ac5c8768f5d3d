import { describe, expect, it } from 'vitest';
import { together } from './together.js';

/** A promise settled by hand, with whether it has settled. */
function later<T>() {
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  const state = { settled: false };
  const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  void promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return { promise, ...settle, state };
}

describe('together', () => {
  it('answers every statement’s result, in the order given', async () => {
    expect(await together([Promise.resolve(true), Promise.resolve(undefined), Promise.resolve('event')])).toEqual([
      true,
      undefined,
      'event',
    ]);
  });

  it('does not end before every statement has settled, even once one has failed', async () => {
    const slow = later<string>();
    let ended = false;
    const all = together([Promise.reject(new Error('first')), slow.promise]).finally(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toBe(false);
    slow.resolve('done');
    await expect(all).rejects.toThrow('first');
    expect(slow.state.settled).toBe(true);
  });

  it('throws the first failure in the order given, not the first to fail', async () => {
    const cause = later<void>();
    const aborted = later<void>();
    const all = together([cause.promise, aborted.promise]);
    aborted.reject(new Error('current transaction is aborted'));
    cause.reject(new Error('the cause'));
    await expect(all).rejects.toThrow('the cause');
  });
});
