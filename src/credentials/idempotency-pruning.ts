/** Idempotency records outlive their 24 h window by at most this (docs/design.md §2.1). */
export const IDEMPOTENCY_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes expired idempotency records now, then every hour; a failed run is logged and retried at the next tick.
 * Returns the timer (unref'd: it never keeps the process alive) for the owner to clear on close.
 */
export async function startIdempotencyPruning(
  credentials: { pruneIdempotencyKeys(): Promise<unknown> },
  logger?: { warn(object: Record<string, unknown>, message: string): void },
): Promise<NodeJS.Timeout> {
  await credentials.pruneIdempotencyKeys();
  const timer = setInterval(() => {
    credentials.pruneIdempotencyKeys().catch((error: unknown) => {
      logger?.warn({ reason: (error as Error).message }, 'pruning expired idempotency records failed');
    });
  }, IDEMPOTENCY_PRUNE_INTERVAL_MS);
  timer.unref();
  return timer;
}
