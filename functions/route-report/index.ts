import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { observeRouteTables } from '../adapters/ec2-routes.js';
import { finishRun } from '../adapters/lease.js';
import { notify } from '../adapters/notify.js';
import { notificationTargets, routeConfig, stateTable } from '../adapters/route-context.js';
import { instrumented, logger, metrics } from '../commons/powertools.js';
import type { ActionOutcome, FailedRouteRun, RouteRunState } from '../commons/route-state.js';
import { headline, type RunResult, runCause, runResult, worthTelling } from '../core/report.js';
import type { GatewayDecision, HeldRoute, PathDecision, PlanAction, UnconvergedRoute } from '../core/routes/types.js';
import { verifyRoutes, verifyRoutesOnPrimaryPath } from '../core/routes/verify.js';

export type RouteResult = Exclude<RunResult, 'degraded'>;

/** The execution's output: the plan, each action's outcome, the verification; the audit record of the run. */
export interface RouteReport {
  group: string;
  result: RouteResult;
  dryRun: boolean;
  trigger: RouteRunState['trigger'];
  decision: unknown;
  health: unknown;
  actions: unknown[];
  /** Null when nothing was to verify; `error` when the verification read failed (the changes stand). */
  verification: { converged: boolean; unconverged: UnconvergedRoute[] } | { converged: null; error: string } | null;
  blocked: unknown;
  failure?: RouteRunState['failure'];
  /** Whether the group record now holds what this run decided, and why not. */
  record: { saved: boolean; error?: string } | null;
  /** A failed or cut-short run: its failure and every action it applied, in one text (the Fail state's cause). */
  cause?: string;
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

/** One line per applied action, for the failure's cause and the notification. */
function changeLine(action: PlanAction, outcome: ActionOutcome | undefined): string {
  const result = outcome?.detail ?? outcome?.status ?? 'not-run';
  switch (action.kind) {
    case 'replace-route':
    case 'create-route':
      return `${action.kind} ${action.routeTableId} ${action.destination.value} -> ${action.after.networkInterfaceId} (${result})`;
    case 'disable-source-dest-check':
      return `${action.kind} ${action.networkInterfaceId} (${result})`;
    case 'move-eip':
      return `${action.kind} ${action.allocationId} -> ${action.after.networkInterfaceId} (${result})`;
    case 'route-to-primary-path':
      return `${action.kind} ${action.routeTableId} ${action.destination.value} -> ${action.after.id} (${result})`;
  }
}

/**
 * Last state, on every path: verifies the routes, stores the group record and releases the lease,
 * and makes the run visible (structured log, metrics, SNS and EventBridge when something changed,
 * failed, or needs a person). Whatever failed, the actions already applied are listed and the record
 * that reflects them is stored, so the next run builds on them instead of undoing them. A failure of
 * the verification read leaves the run `unverified`, not failed: the changes stand.
 */
const handle = async (input: RouteRunState | FailedRouteRun): Promise<RouteReport> => {
  const state: RouteRunState = 'run' in input ? { ...input.run, executionId: input.executionId } : input;
  const now = new Date().toISOString();
  const group = routeConfig.group;
  const plan = state.decision?.plan;
  // A run that failed between two apply attempts carries its outcomes in the last attempt's output.
  const outcomes = new Map((state.outcomes ?? state.apply?.outcomes ?? []).map((o: ActionOutcome) => [o.actionId, o]));
  const actions = (plan?.actions ?? []).map((action) => ({
    ...action,
    // The outcome without its actionId, which the action already carries: the output stays small.
    outcome: state.request.dryRun ? 'planned' : withoutId(outcomes.get(action.actionId) ?? { status: 'not-run' }),
  }));
  const failed = [...outcomes.values()].filter((o) => o.status === 'failed').length;
  const applied = [...outcomes.values()].filter((o) => o.status === 'applied').length;
  const leaseLostInApply = [...outcomes.values()].some((o) => o.error === 'LeaseLostError');

  let verification: RouteReport['verification'] = null;
  const allowed = !state.request.dryRun && plan !== undefined && !plan.blocked;
  const onPrimaryPath = plan?.path?.after === 'primary' && plan.path.outcome !== 'refused';
  if (allowed && !state.failure && !leaseLostInApply && (plan.activeNetworkInterfaceId || onPrimaryPath)) {
    try {
      const routeTables = { routeTables: await observeRouteTables(routeConfig) };
      const unconverged = onPrimaryPath
        ? verifyRoutesOnPrimaryPath(routeTables, plan.path!.primaryPath.id, routeConfig)
        : verifyRoutes(routeTables, plan.activeNetworkInterfaceId!, routeConfig);
      verification = { converged: unconverged.length === 0, unconverged };
    } catch (err) {
      // The verification is a read: its failure does not undo what was applied. The next run observes again.
      verification = { converged: null, error: (err as Error).message };
      logger.warn('route verification failed', { error: err as Error });
    }
  }

  // The new record is stored when the plan was allowed to run and either nothing failed before Apply or
  // something was applied: it says which gateway the routes now follow. A blocked run keeps the old one.
  let record: RouteReport['record'] = null;
  let leaseLost = leaseLostInApply;
  if (!state.request.dryRun) {
    const { leaseLost: lost, ...written } = await finishRun(
      allowed && (!state.failure || applied > 0),
      {
        save: () => stateTable.saveRecordAndRelease(state.decision!.nextRecord, state.executionId, now),
        release: () => stateTable.releaseLease(group, state.executionId),
      },
      Boolean(state.failure),
    );
    record = written;
    leaseLost ||= lost;
  }
  const result = runResult({
    failed: Boolean(state.failure) || plan === undefined,
    dryRun: state.request.dryRun,
    blocked: Boolean(plan?.blocked),
    leaseLost,
    refusal:
      plan?.decision.outcome === 'no-healthy-member' || plan?.decision.outcome === 'refused'
        ? plan.decision.outcome
        : null,
    verification,
    actionsFailed: failed,
    deferred: plan?.deferred ?? 0,
    changed: (plan?.actions.length ?? 0) > 0,
  }) as RouteResult;

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
    metrics.addMetric('ReconcileFailures', MetricUnit.Count, ['failed', 'lease-lost'].includes(result) ? 1 : 0);
    // Mixed paths: routes another target holds, and moves between the primary path and the gateway group.
    metrics.addMetric('RoutesHeld', MetricUnit.Count, held.length);
    if (plan?.path) {
      metrics.addMetric('PrimaryPathFailovers', MetricUnit.Count, pathSwitch === 'failover' ? 1 : 0);
      metrics.addMetric('PrimaryPathFailbacks', MetricUnit.Count, pathSwitch === 'failback' ? 1 : 0);
    }
  }
  metrics.publishStoredMetrics();

  const changes = (plan?.actions ?? [])
    .filter((a) => outcomes.get(a.actionId)?.status === 'applied')
    .map((a) => changeLine(a, outcomes.get(a.actionId)));
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
    record,
    notified: null,
    deferred: plan?.deferred ?? 0,
    request: state.request,
    round: state.round ?? 1,
    ...(plan?.path ? { path: plan.path } : {}),
    ...(held.length > 0 ? { held } : {}),
  };
  const cause = runCause(
    result,
    {
      ...(state.failure ? { failure: state.failure } : {}),
      leaseLost: `another execution took the lease of group ${group}; this run stopped writing`,
    },
    applied,
    actions.length,
    changes,
  );
  if (cause !== undefined) report.cause = cause;
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
    record,
  });

  if (worthTelling(result, { dryRun: state.request.dryRun, applied, failed })) {
    report.notified = await notify(
      {
        subject: `cgw-autopilot ${group}: ${headline(result, applied, moved(decision, plan?.path))}`,
        detailType: 'Route Reconciliation Result',
        detail: {
          group,
          result,
          trigger: state.trigger,
          decision: decision ?? null,
          applied,
          failed,
          actions: actions.length,
          // Every applied action, so an operator reading the notice knows what changed whatever failed after.
          changes,
          verification,
          record,
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

export const handler = instrumented({ group: () => routeConfig.group }, handle);

/** A switch of path or gateway in a few words, for the headline. */
function moved(
  decision: GatewayDecision | undefined,
  path: PathDecision | undefined,
): { path?: string; gateway?: string } {
  if (path?.outcome === 'switched') {
    const where = (p: string | null) => (p === 'primary' ? path.primaryPath.id : p === 'gateway' ? 'gateway' : 'none');
    return { path: `routes ${where(path.before)} -> ${where(path.after)} (${path.switchKind})` };
  }
  if (decision?.outcome === 'switched')
    return { gateway: `active gateway ${decision.activeBefore ?? 'none'} -> ${decision.activeAfter}` };
  return {};
}
