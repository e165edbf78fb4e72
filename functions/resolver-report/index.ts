import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { finishRun } from '../adapters/lease.js';
import { notify } from '../adapters/notify.js';
import { resolverContext } from '../adapters/resolver-context.js';
import { observeResolverRules } from '../adapters/resolver-rules.js';
import { instrumented, logger, metrics } from '../commons/powertools.js';
import {
  type FailedResolverRun,
  type ResolverActionOutcome,
  type ResolverReport,
  type ResolverResult,
  type ResolverRunState,
  summarise,
} from '../commons/resolver-state.js';
import { headline, runCause, runResult, worthTelling } from '../core/report.js';
import { type ResolverRulePlan, verifyRules } from '../core/resolver-rules/index.js';

resolverContext();

/** Actions listed in the execution's output; the whole record stays in the state table (RUN_RECORD_SECONDS). */
const LISTED_ACTIONS = 200;

/**
 * Last state, on every path: verifies the rules after changes, stores the names' history and releases
 * the lease, and makes the run visible (log, metrics, and SNS plus EventBridge on a change, a degraded
 * run, a blocked plan or a failure). The output is the audit record: plan and outcomes. Whatever failed,
 * the actions already applied are listed and the history stored, so the next run builds on them; a
 * failure of the verification read leaves the run `unverified`, not failed.
 */
const handle = async (input: ResolverRunState | FailedResolverRun): Promise<ResolverReport> => {
  const state: ResolverRunState = 'run' in input ? { ...input.run, executionId: input.executionId } : input;
  const { config, store, notificationTargets } = resolverContext();
  const now = new Date().toISOString();
  const { dryRun } = state.request;
  const run = state.decision
    ? await store.getRun<ResolverRulePlan, ResolverActionOutcome[]>(state.executionId)
    : { plan: undefined, outcomes: undefined };
  const plan = run.plan;
  const outcomes = new Map((run.outcomes ?? []).map((o) => [o.actionId, o]));
  const summary = summarise(run.outcomes ?? []);
  const leaseLostInApply = (run.outcomes ?? []).some((o) => o.error?.startsWith('LeaseLostError'));

  let verification: ResolverReport['verification'] = null;
  if (plan && !dryRun && !plan.blocked && summary.applied > 0 && !state.failure) {
    try {
      verification = verifyRules((await observeResolverRules(config)).observedRules, plan.desired);
    } catch (err) {
      // The verification is a read: its failure does not undo what was applied. The next run observes again.
      verification = { converged: null, error: (err as Error).message };
      logger.warn('resolver verification failed', { error: err as Error });
    }
  }
  let history: ResolverReport['history'] = null;
  let leaseLost = leaseLostInApply;
  if (!dryRun) {
    const { leaseLost: lost, ...written } = await finishRun(
      plan !== undefined && !plan.blocked && (!state.failure || summary.applied > 0),
      {
        save: () => store.saveHistoryAndRelease(plan!.nextHistory, state.executionId, now),
        release: () => store.releaseLease(state.executionId),
      },
      Boolean(state.failure),
    );
    history = written;
    leaseLost ||= lost;
  }
  const result = runResult({
    failed: Boolean(state.failure) || plan === undefined,
    dryRun,
    blocked: Boolean(plan?.blocked),
    leaseLost,
    verification,
    actionsFailed: summary.failed,
    degraded: Boolean(plan?.degraded),
    changed: summary.applied > 0,
  }) as ResolverResult;
  const actions = (plan?.actions ?? []).slice(0, LISTED_ACTIONS).map((action) => ({
    ...action,
    outcome: dryRun ? 'planned' : (outcomes.get(action.actionId) ?? { status: 'not-run' }),
  }));
  const changes = (plan?.actions ?? [])
    .filter((a) => outcomes.get(a.actionId)?.status === 'applied')
    .map((a) => `${a.kind} ${a.domainName}: ${outcomes.get(a.actionId)?.detail ?? 'applied'}`);
  const report: ResolverReport = {
    group: config.groupName,
    result,
    dryRun,
    trigger: state.trigger,
    degraded: plan?.degraded ?? false,
    unresolvedNames: plan?.unresolvedNames ?? [],
    problems: plan?.problems ?? [],
    conflicts: plan?.conflicts ?? [],
    blocked: plan?.blocked ?? null,
    actions,
    actionCount: plan?.actions.length ?? 0,
    outcomes: summary,
    verification,
    ...(state.failure ? { failure: state.failure } : {}),
    history,
    notified: null,
  };
  const cause = runCause(
    result,
    {
      ...(state.failure ? { failure: state.failure } : {}),
      leaseLost: `another execution took the resolver lease of group ${config.groupName}; this run stopped changing rules`,
    },
    summary.applied,
    report.actionCount,
    changes,
  );
  if (cause !== undefined) report.cause = cause;

  const appliedOf = (kind: string) =>
    (plan?.actions ?? []).filter((a) => a.kind === kind && outcomes.get(a.actionId)?.status === 'applied').length;
  metrics.addDimension('group', config.groupName);
  if (!dryRun) {
    metrics.addMetric('ResolverRulesCreated', MetricUnit.Count, appliedOf('create-rule'));
    metrics.addMetric('ResolverRulesRetired', MetricUnit.Count, appliedOf('delete-rule'));
    metrics.addMetric('ResolverActionsFailed', MetricUnit.Count, summary.failed);
    metrics.addMetric('ResolverDegraded', MetricUnit.Count, report.degraded ? 1 : 0);
    metrics.addMetric('ResolverConflicts', MetricUnit.Count, report.conflicts.length);
    metrics.addMetric(
      'ResolverReconcileFailures',
      MetricUnit.Count,
      result === 'failed' || result === 'lease-lost' ? 1 : 0,
    );
  }
  metrics.publishStoredMetrics();
  logger.info('resolver reconciliation', {
    result,
    group: config.groupName,
    trigger: state.trigger,
    actions: report.actionCount,
    ...summary,
    degraded: report.degraded,
    unresolvedNames: report.unresolvedNames,
    problems: report.problems,
    conflicts: report.conflicts,
    verification,
    history,
    failure: state.failure ?? null,
  });

  if (worthTelling(result, { dryRun, ...summary })) {
    report.notified = await notify(
      {
        subject: `cgw-autopilot ${config.groupName}: resolver rules ${headline(result, summary.applied)}`,
        detailType: 'Resolver Reconciliation Result',
        detail: {
          group: config.groupName,
          result,
          trigger: state.trigger,
          ...summary,
          actions: report.actionCount,
          // Every applied action (up to the listed limit), whatever failed after.
          changes: changes.slice(0, LISTED_ACTIONS),
          degraded: report.degraded,
          unresolvedNames: report.unresolvedNames,
          problems: report.problems,
          conflicts: report.conflicts,
          blocked: report.blocked,
          verification,
          history,
          failure: state.failure ?? null,
        },
      },
      notificationTargets,
    );
  }
  return report;
};

export const handler = instrumented({ group: () => resolverContext().config.groupName }, handle);
