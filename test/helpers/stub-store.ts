import type { AuditTrail } from '../../src/audit/audit.service.js';
import type { Store } from '../../src/db/store.js';
import type { Repos } from '../../src/repos.js';

/**
 * A Store over stub repositories, for service unit tests that need no database: give the
 * repositories (or the few methods) a test uses; any other call fails loudly, naming itself.
 * `transaction` runs fn on the same stubs and counts how often it was entered.
 */
export function stubStore(repos: { [K in keyof Repos]?: Partial<Repos[K]> }): Store<Repos> & { transactions: () => number } {
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

/**
 * An audit trail that keeps what it is given, for service unit tests: `events` lists each appended
 * record's action and target id, in order, so a test can say which events a rule wrote.
 */
export function recordingAudit(): { audit: AuditTrail; events: { action: string; targetId: string }[] } {
  const events: { action: string; targetId: string }[] = [];
  const audit = {
    append: async (_repos: unknown, record: { action: string; target: { id: string } }) => {
      events.push({ action: record.action, targetId: record.target.id });
    },
  } as unknown as AuditTrail;
  return { audit, events };
}
