import type { Repos, Store } from '../../src/db/store.js';

/**
 * A Store over stub repositories, for service unit tests that need no database: give the
 * repositories (or the few methods) a test uses; any other call fails loudly, naming itself.
 * `transaction` runs fn on the same stubs and counts how often it was entered.
 */
export function stubStore(repos: { [K in keyof Repos]?: Partial<Repos[K]> }): Store & { transactions: () => number } {
  const missing = (name: string) =>
    new Proxy({}, { get: (_target, method) => () => Promise.reject(new Error(`stub store: ${name}.${String(method)} is not stubbed`)) });
  const all = new Proxy(repos, {
    get: (target, name: string) => {
      const given = target[name as keyof Repos];
      if (given === undefined) return missing(name);
      return new Proxy(given, {
        get: (repo, method) =>
          (repo as Record<string | symbol, unknown>)[method] ??
          (() => Promise.reject(new Error(`stub store: ${name}.${String(method)} is not stubbed`))),
      });
    },
  }) as unknown as Repos;
  let transactions = 0;
  return {
    repos: all,
    transaction: (fn) => {
      transactions++;
      return fn(all);
    },
    transactions: () => transactions,
  };
}
