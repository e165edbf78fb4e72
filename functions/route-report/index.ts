import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { observeRouteTables } from '../adapters/ec2-routes.js';
import { notify } from '../adapters/notify.js';
import { logger, metrics } from '../commons/powertools.js';
import { notificationTargets, routeConfig, stateTable } from '../commons/route-context.js';
import type { ActionOutcome, RouteRunState } from '../commons/route-state.js';
import type { HeldRoute, PathDecision, UnconvergedRoute } from '../core/routes/types.js';
import { verifyRoutes, verifyRoutesOnPrimaryPath } from '../core/routes/verify.js';

export type RouteResult =
  | 'continuing'
  | 'converged'
  | 'no-change'
  | 'partial'
  | 'no-healthy-member'
  | 'blocked'
  | 'refused'
  | 'dry-run'
  | 'failed';

/** The execution's output: the plan, each action's outcome, the verification; the audit record of the run. */
export interface RouteReport {
  group: string;
  result: RouteResult;
  dryRun: boolean;
  trigger: RouteRunState['trigger'];
  decision: unknown;
  health: unknown;
  actions: unknown[];
  verification: { converged: boolean; unconverged: UnconvergedRoute[] } | null;
  blocked: unknown;
  failure?: RouteRunState['failure'];
  notified: { sns: boolean; events: boolean } | null;
  /** Actions left for the next round, and what that round needs to run (request, round). */
  deferred: number;
  request: RouteRunState['request'];
  round: number;
  /** With a primary path configured: the path the managed routes take, and why. */
  path?: PathDecision;
  /** Managed routes another target holds, left alone (the OtherTargetRoutes policy is hold). */
  held?: HeldRoute[];
}

function withoutId(outcome: { actionId?: string; status: string }): { status: string } {
  const { actionId: _id, ...rest } = outcome;
  return rest;
}

function resultOf(state: RouteRunState, failed: number, unconverged: number): RouteResult {
  const plan = state.decision?.plan;
  if (state.failure || !plan) return 'failed';
  if (state.request.dryRun) return 'dry-run';
  if (plan.blocked) return 'blocked';
  if (plan.decision.outcome === 'no-healthy-member') return 'no-healthy-member';
  if (plan.decision.outcome === 'refused') return 'refused';
  if (failed === 0 && (plan.deferred ?? 0) > 0) return 'continuing';
  if (failed > 0 || unconverged > 0) return 'partial';
  return plan.actions.length > 0 ? 'converged' : 'no-change';
}

/**
 * Last state, on every path: verifies the routes, stores the group record and releases the lease,
 * and makes the run visible (structured log, metrics, SNS and EventBridge when something changed,
 * failed, or needs a person).
 */
export const handler = async (state: RouteRunState): Promise<RouteReport> => {
  const now = new Date().toISOString();
  const group = routeConfig.group;
  const plan = state.decision?.plan;
  const outcomes = new Map((state.outcomes ?? []).map((o: ActionOutcome) => [o.actionId, o]));
  const actions = (plan?.actions ?? []).map((action) => ({
    ...action,
    // The outcome without its actionId, which the action already carries: the output stays small.
    outcome: state.request.dryRun ? 'planned' : withoutId(outcomes.get(action.actionId) ?? { status: 'not-run' }),
  }));
  const failed = [...outcomes.values()].filter((o) => o.status === 'failed').length;
  const applied = [...outcomes.values()].filter((o) => o.status === 'applied').length;

  let verification: RouteReport['verification'] = null;
  const writes = !state.request.dryRun && plan && !state.failure;
  const onPrimaryPath = plan?.path?.after === 'primary' && plan.path.outcome !== 'refused';
  if (writes && (plan.activeNetworkInterfaceId || onPrimaryPath) && !plan.blocked) {
    const routeTables = await observeRouteTables(routeConfig);
    const observed = {
      group,
      now,
      members: [],
      agentReports: [],
      networkInterfaces: plan.activeNetworkInterfaceId
        ? { [plan.activeNetworkInterfaceId]: plan.decision.activeAfter }
        : {},
      routeTables,
      elasticIp: null,
      record: state.decision!.nextRecord,
    };
    const unconverged = onPrimaryPath
      ? verifyRoutesOnPrimaryPath(observed, plan.path!.primaryPath.id, routeConfig)
      : verifyRoutes(observed, plan.activeNetworkInterfaceId!, routeConfig);
    verification = { converged: unconverged.length === 0, unconverged };
  }
  const result = resultOf(state, failed, verification?.unconverged.length ?? 0);

  // The new record is stored only when the plan was allowed to run; a blocked or failed run keeps the old one.
  if (!state.request.dryRun) {
    if (writes && !plan.blocked)
      await stateTable.saveRecordAndRelease(state.decision!.nextRecord, state.executionId, now);
    else await stateTable.releaseLease(group, state.executionId);
  }

  const decision = plan?.decision;
  metrics.addDimension('group', group);
  const routesRepaired = (plan?.actions ?? []).filter(
    (a) =>
      (a.kind === 'replace-route' || a.kind === 'create-route' || a.kind === 'route-to-primary-path') &&
      outcomes.get(a.actionId)?.status === 'applied',
  ).length;
  const held = plan?.held ?? [];
  const pathSwitch = plan?.path?.outcome === 'switched' ? plan.path.switchKind : undefined;
  if (!state.request.dryRun) {
    metrics.addMetric('RoutesRepaired', MetricUnit.Count, routesRepaired);
    metrics.addMetric('ActionsFailed', MetricUnit.Count, failed);
    metrics.addMetric('NoHealthyMember', MetricUnit.Count, result === 'no-healthy-member' ? 1 : 0);
    metrics.addMetric('Failovers', MetricUnit.Count, decision?.switchKind === 'failover' ? 1 : 0);
    metrics.addMetric('Failbacks', MetricUnit.Count, decision?.switchKind === 'failback' ? 1 : 0);
    metrics.addMetric('ReconcileFailures', MetricUnit.Count, result === 'failed' ? 1 : 0);
    // Mixed paths: routes another target holds, and moves between the primary path and the gateway group.
    metrics.addMetric('RoutesHeld', MetricUnit.Count, held.length);
    if (plan?.path) {
      metrics.addMetric('PrimaryPathFailovers', MetricUnit.Count, pathSwitch === 'failover' ? 1 : 0);
      metrics.addMetric('PrimaryPathFailbacks', MetricUnit.Count, pathSwitch === 'failback' ? 1 : 0);
    }
  }
  metrics.publishStoredMetrics();

  const report: RouteReport = {
    group,
    result,
    dryRun: state.request.dryRun,
    trigger: state.trigger,
    decision: decision ?? null,
    health: state.decision?.health ?? null,
    actions,
    verification,
    blocked: plan?.blocked ?? null,
    ...(state.failure ? { failure: state.failure } : {}),
    notified: null,
    deferred: plan?.deferred ?? 0,
    request: state.request,
    round: state.round ?? 1,
    ...(plan?.path ? { path: plan.path } : {}),
    ...(held.length > 0 ? { held } : {}),
  };
  logger.info('route reconciliation', {
    result,
    group,
    trigger: state.trigger,
    decision: decision ?? null,
    path: plan?.path ?? null,
    held: held.length,
    applied,
    failed,
    verification,
  });

  const worthTelling =
    applied > 0 || failed > 0 || ['no-healthy-member', 'blocked', 'partial', 'failed', 'refused'].includes(result);
  if (worthTelling && !state.request.dryRun) {
    report.notified = await notify(
      {
        subject: `cgw-autopilot ${group}: ${headline(result, decision, applied, plan?.path)}`,
        detailType: 'Route Reconciliation Result',
        detail: {
          group,
          result,
          trigger: state.trigger,
          decision: decision ?? null,
          applied,
          failed,
          actions: actions.length,
          verification,
          blocked: plan?.blocked ?? null,
          failure: state.failure ?? null,
          ...(plan?.path ? { path: plan.path } : {}),
          ...(held.length > 0 ? { held } : {}),
        },
      },
      notificationTargets,
    );
  }
  return report;
};

function headline(
  result: RouteResult,
  decision: { outcome: string; activeBefore: string | null; activeAfter: string | null } | undefined,
  applied: number,
  path?: PathDecision,
): string {
  if (path?.outcome === 'switched' && result !== 'failed') {
    const where = (p: string | null) => (p === 'primary' ? path.primaryPath.id : p === 'gateway' ? 'gateway' : 'none');
    return `routes ${where(path.before)} -> ${where(path.after)} (${path.switchKind}), ${applied} changes`;
  }
  if (result === 'no-healthy-member') return 'no healthy gateway, routes left as they were';
  if (result === 'blocked') return 'plan blocked by the change limit, manual override needed';
  if (result === 'failed') return 'reconciliation failed';
  if (result === 'refused') return 'operator request refused';
  if (decision?.outcome === 'switched')
    return `active gateway ${decision.activeBefore ?? 'none'} -> ${decision.activeAfter}, ${applied} changes`;
  return `${applied} changes${result === 'partial' ? ', some failed' : ''}`;
}
