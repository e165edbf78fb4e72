import { chooseActiveGateway } from './active-gateway.js';
import { applyBlastRadius, limitRound } from './blast-radius.js';
import { assessHealth } from './health.js';
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

/** Observe -> decide -> plan, in one call: assessHealth, chooseActiveGateway, planRouteChanges, applyBlastRadius, limitRound. */
export function reconcileRoutes(
  observation: RouteObservation,
  config: RouteConfig,
  request: ReconcileRequest = {},
): RouteReconciliation {
  const health = assessHealth(observation, config);
  const { decision, nextRecord } = chooseActiveGateway(observation, health, config, request);
  const plan = planRouteChanges(observation, decision, config);
  return {
    health,
    nextRecord,
    plan: limitRound(
      applyBlastRadius(plan, config.maxChangesPerRun, request.overrideBlastRadius === true),
      config.maxActionsPerExecution,
    ),
  };
}
