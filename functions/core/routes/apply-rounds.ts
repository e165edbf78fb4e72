// How one Apply invocation works through a round's actions, and when a throttled action is tried again.

/**
 * Actions written at once: inside EC2's mutating-action burst bucket of 50, so a burst of one run never
 * throttles itself. One apply invocation runs them all, so a failover starts one execution environment
 * for Apply whatever the table count.
 */
export const APPLY_CONCURRENCY = 40;

/** Invocations of Apply per round: the first, then one per retry of what was throttled. */
export const APPLY_MAX_ATTEMPTS = 10;

/** The longest wait between two apply attempts (the ASL's Wait reads it from the function's output). */
export const APPLY_MAX_RETRY_DELAY_SECONDS = 30;

/**
 * The wait before apply attempt `attempt + 1`: exponential from 2 s, capped at 30 s, with full jitter
 * (at least 1 s), as the Map's Retry used to wait. Throttling buckets refill in seconds, so longer
 * waits spread the retries of many actions.
 */
export function retryDelaySeconds(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(APPLY_MAX_RETRY_DELAY_SECONDS, 2 * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.ceil(random() * ceiling));
}

/** Consecutive slices of at most `size` items, in order. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size ${size} is not a whole number >= 1`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
