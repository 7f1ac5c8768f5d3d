import type { Kysely } from 'kysely';
import type { Database, Engine, UnitOptions } from './database.js';
import type { DB } from './schema.js';

/**
 * Builds one repository on an executor (the pool, or an open transaction) and the engine, for the rare
 * statement that differs between engines.
 */
export type RepoFactory = (db: Kysely<DB>, engine: Engine) => object;

/** The repositories a list of factories builds, by name. */
export type ReposOf<F extends Record<string, RepoFactory>> = { readonly [K in keyof F]: ReturnType<F[K]> };

/**
 * The unit of work over the repositories `R`. A service declares the `R` it uses (the repositories, and with
 * `Pick<>` the methods); the one store built in src/deps.ts, over every repository, satisfies each of them.
 */
export interface Store<R> {
  /** Repositories on the shared connection/pool: reads and single-statement writes. */
  readonly repos: R;
  /**
   * Runs fn in ONE unit of work with every repository bound to it: a change, its idempotency record and
   * its audit event commit together or not at all, and the promise resolves only once they are durable.
   * The unit is a savepoint in a group commit (`group-commit.ts`), shared on SQLite with every concurrent unit, on
   * PostgreSQL with those of the same `options.fleetId` (give it for every unit that writes one fleet's rows and
   * chain). It must not read through `store.repos` (its batch holds the connection, or the rows it wrote are not
   * committed yet) nor start another transaction: both are refused. Hash and call out before calling (slow work inside
   * a unit delays every unit of its batch; better-sqlite3 is synchronous: a long transaction stalls every request);
   * sealing is microseconds and belongs inside, under the data key the unit reads (src/crypto/keyring.ts).
   */
  transaction<T>(fn: (repos: R) => Promise<T>, options?: UnitOptions): Promise<T>;
}

function reposOn<F extends Record<string, RepoFactory>>(factories: F, db: Kysely<DB>, engine: Engine): ReposOf<F> {
  return Object.fromEntries(Object.entries(factories).map(([name, create]) => [name, create(db, engine)])) as ReposOf<F>;
}

/**
 * Lets the wiring watch what a unit of work did, without this layer knowing any repository: `observe` wraps the
 * unit's repositories and notes into `noted`; `committed` runs once the unit is durable, with what was noted (never
 * for a unit that rolled back). The watch stream wakes its readers this way (src/repos.ts, docs/design.md §2.13).
 */
export interface UnitObserver<R> {
  observe(repos: R, noted: Set<string>): R;
  committed(noted: ReadonlySet<string>): void;
}

/**
 * The unit of work over an open database and the repositories `factories` builds (the list is src/repos.ts:
 * this layer knows no domain); the only place repositories are bound to an executor.
 */
export function createStore<F extends Record<string, RepoFactory>>(
  database: Database,
  factories: F,
  observer?: UnitObserver<ReposOf<F>>,
): Store<ReposOf<F>> {
  const { db, engine } = database;
  // The units of one group commit share an executor (SQLite's one connection, a PostgreSQL pool client): bind the
  // repositories once per executor.
  const boundRepos = new WeakMap<Kysely<DB>, ReposOf<F>>();
  const reposFor = (executor: Kysely<DB>) => {
    let repos = boundRepos.get(executor);
    if (repos === undefined) boundRepos.set(executor, (repos = reposOn(factories, executor, engine)));
    return repos;
  };
  return {
    repos: reposOn(factories, db, engine),
    transaction: async (fn, options) => {
      if (observer === undefined) return database.transaction((trx) => fn(reposFor(trx)), options);
      const noted = new Set<string>();
      const result = await database.transaction((trx) => fn(observer.observe(reposFor(trx), noted)), options);
      // Resolved: committed and durable, so a reader woken now sees what the unit wrote.
      if (noted.size > 0) observer.committed(noted);
      return result;
    },
  };
}
