// How long the reconcilers' leases last. A lease outlives its holder's last write to it by this much,
// so it must cover the longest silence of a run that is still alive (between two fencing checks, or
// between the last one and the report that stores the record); a crashed run blocks others this long.

/** A Retry field of a Task state, as the ASL writes it. */
export interface RetryPolicy {
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

/**
 * The longest a Task state can take with one retrier: every attempt up to the function's timeout,
 * plus every wait (IntervalSeconds x BackoffRate^n, capped by MaxDelaySeconds; jitter only shortens).
 * The ASL's defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.
 */
export function taskWorstCaseSeconds(timeoutSeconds: number, retry: RetryPolicy = { MaxAttempts: 0 }): number {
  const attempts = retry.MaxAttempts ?? 3;
  let waits = 0;
  for (let n = 0; n < attempts; n++) {
    const wait = (retry.IntervalSeconds ?? 1) * (retry.BackoffRate ?? 2) ** n;
    waits += retry.MaxDelaySeconds === undefined ? wait : Math.min(wait, retry.MaxDelaySeconds);
  }
  return (attempts + 1) * timeoutSeconds + waits;
}

/**
 * Route reconciler: Decide takes the lease (for the confirmation delay plus this), the Apply function
 * renews it before each batch of writes, Report stores the record with it. Longest silence: one apply
 * attempt hanging to the function's timeout (90 s), then the Report state's worst case (255 s in all).
 */
export const ROUTE_LEASE_RENEW_SECONDS = 300;

/**
 * Resolver reconciler: Decide takes it, every Apply call renews it, Report stores the history with it.
 * Longest silence: one call hanging until the Apply function's 900 s timeout, then the Report state's
 * worst case (5 attempts of 120 s and 15 s of waits): 1,515 s.
 */
export const RESOLVER_LEASE_SECONDS = 1800;
