import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { notify } from '../adapters/notify.js';
import { observeResolverRules } from '../adapters/resolver-rules.js';
import { logger, metrics } from '../commons/powertools.js';
import { resolverContext } from '../commons/resolver-context.js';
import {
  type ResolverActionOutcome,
  type ResolverReport,
  type ResolverResult,
  type ResolverRunState,
  summarise,
} from '../commons/resolver-state.js';
import { type ResolverRulePlan, verifyRules } from '../core/resolver-rules/index.js';

resolverContext();

/** Actions listed in the execution's output; the whole record stays in the state table (RUN_RECORD_SECONDS). */
const LISTED_ACTIONS = 200;

function resultOf(
  state: ResolverRunState,
  plan: ResolverRulePlan | undefined,
  report: Pick<ResolverReport, 'outcomes' | 'verification'>,
): ResolverResult {
  if (state.failure || !plan) return 'failed';
  if (state.request.dryRun) return 'dry-run';
  if (plan.blocked) return 'blocked';
  if (report.outcomes.failed > 0 || report.verification?.converged === false) return 'partial';
  if (plan.degraded) return 'degraded';
  return report.outcomes.applied > 0 ? 'converged' : 'no-change';
}

/**
 * Last state, on every path: verifies the rules after changes, stores the names' history and releases
 * the lease, and makes the run visible (log, metrics, and SNS plus EventBridge on a change, a degraded
 * run, a blocked plan or a failure). The output is the audit record: plan and outcomes.
 */
export const handler = async (state: ResolverRunState): Promise<ResolverReport> => {
  const { config, store, notificationTargets } = resolverContext();
  const now = new Date().toISOString();
  const { dryRun } = state.request;
  const run = state.decision
    ? await store.getRun<ResolverRulePlan, ResolverActionOutcome[]>(state.executionId)
    : { plan: undefined, outcomes: undefined };
  const plan = run.plan;
  const outcomes = new Map((run.outcomes ?? []).map((o) => [o.actionId, o]));
  const summary = summarise(run.outcomes ?? []);

  let verification: ResolverReport['verification'] = null;
  if (plan && !dryRun && !plan.blocked && summary.applied > 0) {
    verification = verifyRules((await observeResolverRules(config)).observedRules, plan.desired);
  }
  if (!dryRun) {
    if (plan && !state.failure && !plan.blocked)
      await store.saveHistoryAndRelease(plan.nextHistory, state.executionId, now);
    else await store.releaseLease(state.executionId);
  }
  const result = resultOf(state, plan, { outcomes: summary, verification });
  const actions = (plan?.actions ?? []).slice(0, LISTED_ACTIONS).map((action) => ({
    ...action,
    outcome: dryRun ? 'planned' : (outcomes.get(action.actionId) ?? { status: 'not-run' }),
  }));
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
    notified: null,
  };

  const appliedOf = (kind: string) =>
    (plan?.actions ?? []).filter((a) => a.kind === kind && outcomes.get(a.actionId)?.status === 'applied').length;
  metrics.addDimension('group', config.groupName);
  if (!dryRun) {
    metrics.addMetric('ResolverRulesCreated', MetricUnit.Count, appliedOf('create-rule'));
    metrics.addMetric('ResolverRulesRetired', MetricUnit.Count, appliedOf('delete-rule'));
    metrics.addMetric('ResolverActionsFailed', MetricUnit.Count, summary.failed);
    metrics.addMetric('ResolverDegraded', MetricUnit.Count, report.degraded ? 1 : 0);
    metrics.addMetric('ResolverConflicts', MetricUnit.Count, report.conflicts.length);
    metrics.addMetric('ResolverReconcileFailures', MetricUnit.Count, result === 'failed' ? 1 : 0);
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
    failure: state.failure ?? null,
  });

  const worthTelling =
    summary.applied > 0 || summary.failed > 0 || ['degraded', 'blocked', 'partial', 'failed'].includes(result);
  if (worthTelling && !dryRun) {
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
          degraded: report.degraded,
          unresolvedNames: report.unresolvedNames,
          problems: report.problems,
          conflicts: report.conflicts,
          blocked: report.blocked,
          verification,
          failure: state.failure ?? null,
        },
      },
      notificationTargets,
    );
  }
  return report;
};

function headline(result: ResolverResult, applied: number): string {
  if (result === 'degraded') return `degraded (vendor DNS unanswered), nothing retired, ${applied} changes`;
  if (result === 'blocked') return 'plan blocked by the change limit, manual override needed';
  if (result === 'failed') return 'reconciliation failed';
  return `${applied} changes${result === 'partial' ? ', some failed' : ''}`;
}
