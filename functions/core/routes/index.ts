// The route reconciler's pure core: types (the contract between states), config, decide, plan, verify.
export { chooseActiveGateway } from './active-gateway.js';
export {
  type AgentReportJudgement,
  checkAgentReportTime,
  type IncomingAgentReport,
  isoUtcProblem,
  judgeAgentReport,
  MAX_FUTURE_SKEW_SECONDS,
  type StoredAgentReport,
} from './agent-report.js';
export { applyBlastRadius, limitRound } from './blast-radius.js';
export { type CidrCheck, checkIpv4Cidr, checkIpv6Cidr, isAwsId } from './cidr.js';
export { parseRouteConfig, ROUTE_CONFIG_VARIABLES } from './config.js';
export { ConfigurationError, InvalidInputError } from './errors.js';
export { assessHealth, assessMember, compareHealthiest, comparePreference, healthyMembers } from './health.js';
export {
  classifyRoute,
  destinationKey,
  type ManagedRouteSlot,
  managedRouteSlots,
  managedRouteTableIds,
} from './managed-routes.js';
export { type ReconcileRequest, type RouteReconciliation, reconcileRoutes } from './reconcile.js';
export { identifyAction, planRouteChanges } from './route-plan.js';
export type * from './types.js';
export { verifyRoutes } from './verify.js';
