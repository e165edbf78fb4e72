import { RUN_RECORD_SECONDS, resolverContext } from '../adapters/resolver-context.js';
import { applyResolverActions } from '../adapters/resolver-rules.js';
import { RetryableAwsError } from '../commons/errors.js';
import { instrumented, logger } from '../commons/powertools.js';
import { type ResolverActionOutcome, type ResolverApplySummary, summarise } from '../commons/resolver-state.js';
import type { ResolverRulePlan } from '../core/resolver-rules/index.js';

resolverContext();

/**
 * Applies the stored plan in dependency order (create, associate and update, disassociate, delete) and
 * stores every outcome. When throttling or a pending disassociation outlasted the per-action retries, it
 * throws RetryableAwsError after storing: the ASL's Retry runs it again, and only what is not applied yet
 * is tried again (creates are idempotent through their CreatorRequestId). Every call is preceded by the
 * fencing check: once another execution took the lease, the remaining actions fail with LeaseLostError.
 */
const handle = async (event: { executionId: string }): Promise<ResolverApplySummary> => {
  const { store, tuning, leaseSeconds } = resolverContext();
  const run = await store.getRun<ResolverRulePlan, ResolverActionOutcome[]>(event.executionId);
  if (!run.plan) throw new Error(`no plan is stored for ${event.executionId}`);
  const outcomes = await applyResolverActions(run.plan.actions, run.outcomes ?? [], {
    concurrency: tuning.applyConcurrency,
    // Each write only while this run holds the resolver lease, which each check renews.
    fence: () => store.holdLease(event.executionId, new Date().toISOString(), leaseSeconds),
  });
  await store.putRunPart(event.executionId, 'outcomes', outcomes, new Date().toISOString(), RUN_RECORD_SECONDS);
  const summary = summarise(outcomes);
  logger.info('resolver actions applied', { ...summary });
  const retryable = outcomes.filter((o) => o.status === 'failed' && o.retryable);
  if (retryable.length > 0) {
    throw new RetryableAwsError(
      `${retryable.length} of ${outcomes.length} resolver actions failed for now (${retryable[0]?.error}); ${summary.applied} applied`,
    );
  }
  return summary;
};

export const handler = instrumented({ group: () => resolverContext().config.groupName }, handle);
