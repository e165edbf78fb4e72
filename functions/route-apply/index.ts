import { type ActionResult, applyAction } from '../adapters/ec2-routes.js';
import { LEASE_RENEW_SECONDS, routeConfig, stateTable } from '../adapters/route-context.js';
import { RetryableAwsError } from '../commons/errors.js';
import { instrumented, logger } from '../commons/powertools.js';
import type { ActionOutcome, ApplyInput, ApplyOutput } from '../commons/route-state.js';
import { InvalidInputError } from '../core/errors.js';
import { APPLY_CONCURRENCY, APPLY_MAX_ATTEMPTS, batches, retryDelaySeconds } from '../core/routes/apply-rounds.js';
import type { PlanAction } from '../core/routes/types.js';

/** What a Task state's Catch would have recorded for an error: its name, and a cause naming it. */
function failed(action: PlanAction, err: unknown): ActionOutcome {
  const error = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return {
    actionId: action.actionId,
    status: 'failed',
    error,
    cause: JSON.stringify({ errorType: error, errorMessage: message }),
  };
}

/**
 * Applies a round's actions (the first attempt) or those a previous attempt left pending, in one
 * invocation: batches of at most APPLY_CONCURRENCY EC2 writes at once, so a failover starts one
 * execution environment for Apply whatever the table count.
 *
 * Fencing: no write goes out before a conditional renewal of the run's lease has succeeded, made at
 * most one batch earlier (the renewal for batch n+1 runs side by side with batch n, so it costs no
 * round trip of its own). Once a renewal finds the lease taken, nothing more is written and every
 * remaining action fails with LeaseLostError.
 *
 * Each action's outcome is returned (and so kept in the execution's history and output): applied,
 * failed (ActionFailedError and the like, or LeaseLostError), or pending when throttling or a server
 * fault outlasted the SDK's retries and attempts remain; the ASL waits retryInSeconds and calls again
 * with the pending actions. Past the last attempt a pending action fails with RetryableAwsError.
 */
const handle = async (event: ApplyInput): Promise<ApplyOutput> => {
  if (!Array.isArray(event?.actions)) throw new InvalidInputError('actions', 'must be a list of plan actions');
  if (typeof event.executionId !== 'string' || event.executionId === '')
    throw new InvalidInputError('executionId', 'is required');
  const attempt = event.attempt ?? 1;
  if (!Number.isInteger(attempt) || attempt < 1) throw new InvalidInputError('attempt', `${attempt} is not >= 1`);
  const outcomes: ActionOutcome[] = [...(event.outcomes ?? [])];
  const pending: PlanAction[] = [];
  const mayRetry = attempt < APPLY_MAX_ATTEMPTS;
  const renew = () => {
    const renewal = stateTable.holdLease(
      routeConfig.group,
      event.executionId,
      new Date().toISOString(),
      LEASE_RENEW_SECONDS,
    );
    // Awaited before the next batch; a rejection meanwhile is not unhandled.
    renewal.catch(() => undefined);
    return renewal;
  };

  const slices = batches(event.actions, APPLY_CONCURRENCY);
  let renewal: Promise<void> | undefined = slices.length ? renew() : undefined;
  for (const [n, slice] of slices.entries()) {
    try {
      await renewal;
    } catch (err) {
      // The lease is gone (or could not be confirmed): nothing more is written.
      const rest = slices.slice(n).flat();
      if (err instanceof RetryableAwsError && mayRetry) pending.push(...rest);
      else outcomes.push(...rest.map((action) => failed(action, err)));
      logger.warn('lease not confirmed: no more writes', { error: (err as Error).message, remaining: rest.length });
      break;
    }
    renewal = n + 1 < slices.length ? renew() : undefined;
    const results = await Promise.allSettled(
      // The batch's renewal has succeeded: a second write of the same action (create found the route,
      // replace found none) is covered by it.
      slice.map((action) => applyAction(action, { fence: async () => undefined })),
    );
    results.forEach((result, i) => {
      const action = slice[i]!;
      if (result.status === 'fulfilled') {
        outcomes.push({ actionId: action.actionId, status: 'applied', detail: result.value satisfies ActionResult });
      } else if (result.reason instanceof RetryableAwsError && mayRetry) {
        pending.push(action);
      } else {
        outcomes.push(failed(action, result.reason));
        logger.warn('action failed', { actionId: action.actionId, kind: action.kind, error: String(result.reason) });
      }
    });
  }
  if (renewal) await renewal.catch(() => undefined);
  const applied = outcomes.filter((o) => o.status === 'applied').length;
  logger.info('actions applied', {
    attempt,
    actions: event.actions.length,
    applied,
    failed: outcomes.length - applied,
    pending: pending.length,
    leaseLost: outcomes.some((o) => o.error === 'LeaseLostError'),
  });
  return { outcomes, pending, attempt, retryInSeconds: pending.length ? retryDelaySeconds(attempt) : 0 };
};

export const handler = instrumented({ group: () => routeConfig.group }, handle);
