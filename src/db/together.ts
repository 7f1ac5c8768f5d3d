/**
 * Sends a unit of work's independent statements at once and waits for every one of them. On PostgreSQL a batch's
 * connection is pipelined (postgres-database.ts; https://node-postgres.com/features/pipelining), so N statements cost
 * one round trip instead of N, and the server still runs them in the order they were sent; SQLite runs them one after
 * another as before. Use it only for statements whose outcome none of the others depends on.
 *
 * Every statement has settled when this returns or throws: a unit must not end while one of its statements is still
 * on its way, or that statement would run in the next unit's savepoint. It throws the first failure in the order
 * given: on PostgreSQL a failed statement makes the ones after it fail as well ("current transaction is aborted"),
 * and the first is the cause.
 */
export async function together<const T extends readonly unknown[]>(statements: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const outcomes = await Promise.allSettled(statements);
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
