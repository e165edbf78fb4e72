// The route reconciler's pure core: types (the contract between states), config, decide, plan, verify.

export { type CidrCheck, checkIpv4Cidr, checkIpv6Cidr } from '../ip.js';
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
export { isAwsId } from './cidr.js';
export {
  checkPrefixListEntries,
  isDefaultRoute,
  parseRouteConfig,
  parseRouteEnvironment,
  ROUTE_CONFIG_VARIABLES,
} from './config.js';
export { ConfigurationError, InvalidInputError } from './errors.js';
export { assessHealth, assessMember, compareHealthiest, comparePreference, healthyMembers } from './health.js';
export {
  classifyPrimaryRoute,
  classifyRoute,
  destinationKey,
  heldBy,
  heldRoutes,
  type ManagedRouteSlot,
  managedRouteSlots,
  managedRouteTableIds,
  nonInstanceTarget,
} from './managed-routes.js';
export {
  assessPrimaryPath,
  choosePath,
  describePrimaryPath,
  gatewayOperation,
  type PathChoice,
  type PathRequest,
  primaryPathSignalIgnored,
} from './primary-path.js';
export { type ReconcileRequest, type RouteReconciliation, reconcileRoutes } from './reconcile.js';
export { identifyAction, planRouteChanges } from './route-plan.js';
export type * from './types.js';
export { verifyRoutes, verifyRoutesOnPrimaryPath } from './verify.js';
