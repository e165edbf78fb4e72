import { chooseActiveGateway } from './active-gateway.js';
import { applyBlastRadius, limitRound } from './blast-radius.js';
import { checkPrefixListEntries } from './config.js';
import { assessHealth } from './health.js';
import { assessPrimaryPath, choosePath, gatewayOperation } from './primary-path.js';
import { planRouteChanges } from './route-plan.js';
import type { DecisionRequest, GroupRecord, MemberHealth, RouteConfig, RouteObservation, RoutePlan } from './types.js';

/** A decision request plus the operator's blast-radius override. */
export interface ReconcileRequest extends DecisionRequest {
  overrideBlastRadius?: boolean;
}

/** The deciding half of one reconciler pass: health, the record to store, and the (possibly blocked) plan. */
export interface RouteReconciliation {
  health: MemberHealth[];
  nextRecord: GroupRecord;
  plan: RoutePlan;
}

/**
 * Observe -> decide -> plan, in one call: the default-route check of the managed prefix lists, assessHealth,
 * chooseActiveGateway, choosePath (with a primary path), planRouteChanges, applyBlastRadius, limitRound.
 */
export function reconcileRoutes(
  observation: RouteObservation,
  config: RouteConfig,
  request: ReconcileRequest = {},
): RouteReconciliation {
  checkPrefixListEntries(observation.prefixListEntries, config);
  const health = assessHealth(observation, config);
  const primaryHealth = assessPrimaryPath(observation, config);
  const gatewayRequest: DecisionRequest = { ...request };
  if (primaryHealth !== null) {
    const operation = gatewayOperation(observation, primaryHealth, request.operation);
    if (operation) gatewayRequest.operation = operation;
    else {
      delete gatewayRequest.operation;
      if (request.operation) gatewayRequest.confirming = true;
    }
  }
  const gateway = chooseActiveGateway(observation, health, config, gatewayRequest);
  const path =
    primaryHealth === null ? null : choosePath(observation, primaryHealth, gateway.decision, config, request);
  const nextRecord: GroupRecord =
    path === null
      ? gateway.nextRecord
      : {
          ...gateway.nextRecord,
          primaryPath: path.record,
          // A move between the primary path and the gateway group starts the cooldown, as a gateway switch does.
          ...(path.decision.outcome === 'switched' && path.decision.switchKind !== 'election'
            ? { lastSwitchAt: observation.now }
            : {}),
        };
  const plan = planRouteChanges(observation, gateway.decision, config, path?.decision);
  return {
    health,
    nextRecord,
    plan: limitRound(
      applyBlastRadius(plan, config.maxChangesPerRun, request.overrideBlastRadius === true),
      config.maxActionsPerExecution,
    ),
  };
}
