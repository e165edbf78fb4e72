import { observeEc2 } from '../adapters/ec2-routes.js';
import { observeMixedPaths } from '../adapters/primary-path.js';
import { leaseSeconds, routeConfig, stateTable } from '../adapters/route-context.js';
import { instrumented, logger } from '../commons/powertools.js';
import type { DecideOutput, RouteRequest } from '../commons/route-state.js';
import { reconcileRoutes } from '../core/routes/reconcile.js';
import type { RouteObservation } from '../core/routes/types.js';

/**
 * Observe and decide: takes (or renews) the group's lease, observes EC2 and the state table in
 * parallel, and runs the pure core. A dry run reads the record without taking the lease.
 *
 * The lease is taken side by side with the EC2 reads. If a previous holder finished while they ran,
 * the route view may predate its last writes; that can only make this run repeat a write the
 * previous one made, because the target always comes from the record read with the lease.
 */
const handle = async (event: {
  request: RouteRequest;
  confirming: boolean;
  executionId: string;
}): Promise<DecideOutput> => {
  const { request } = event;
  const now = new Date().toISOString();
  const [record, ec2, agentReports, mixedPaths] = await Promise.all([
    request.dryRun
      ? stateTable.readGroupRecord(routeConfig.group)
      : stateTable.acquireLease(routeConfig.group, event.executionId, now, leaseSeconds),
    observeEc2(routeConfig),
    stateTable.readAgentReports(routeConfig.group),
    observeMixedPaths(routeConfig),
  ]);
  const { updatedAt: _updatedAt, ...groupRecord } = record;
  const observation: RouteObservation = {
    group: routeConfig.group,
    now,
    ...ec2,
    agentReports,
    record: groupRecord,
    ...mixedPaths,
  };
  const { health, nextRecord, plan } = reconcileRoutes(observation, routeConfig, {
    confirming: event.confirming,
    ...(request.operation ? { operation: request.operation } : {}),
    overrideBlastRadius: request.overrideBlastRadius,
  });
  logger.info('route decision', {
    group: routeConfig.group,
    decision: plan.decision,
    actions: plan.actions.length,
    blocked: plan.blocked ?? null,
    path: plan.path ?? null,
    held: plan.held?.length ?? 0,
    health: health.map((h) => `${h.instanceId}:${h.verdict}`),
  });
  return {
    observedAt: now,
    health,
    plan,
    nextRecord,
    // The Wait state waits what the core chose: the corroborated window or the full delay.
    confirmationDelaySeconds: plan.decision.confirmAfterSeconds ?? routeConfig.confirmationDelaySeconds,
  };
};

export const handler = instrumented({ group: () => routeConfig.group }, handle);
