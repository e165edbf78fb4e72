import { createHash } from 'node:crypto';
import { InvalidInputError } from './errors.js';
import { classifyPrimaryRoute, classifyRoute, heldBy, heldRoutes, managedRouteSlots } from './managed-routes.js';
import type {
  GatewayDecision,
  GatewayMember,
  GatewayTarget,
  PathDecision,
  PlanAction,
  PrimaryPathRouteTarget,
  RouteConfig,
  RouteObservation,
  RoutePlan,
} from './types.js';

type ActionContent = PlanAction extends infer A ? (A extends PlanAction ? Omit<A, 'actionId'> : never) : never;

// Outcomes after which nothing may change (promise 1: routes left as they were).
const FROZEN_OUTCOMES = new Set<GatewayDecision['outcome']>(['no-healthy-member', 'refused']);

/** Gives an action a stable id derived from its content, so a replayed plan is recognisable. */
export function identifyAction(group: string, content: ActionContent): PlanAction {
  const digest = createHash('sha256')
    .update(JSON.stringify([group, content]))
    .digest('hex')
    .slice(0, 16);
  return { ...content, actionId: `${content.kind}-${digest}` } as PlanAction;
}

/** The active gateway as a route target, or null when its primary ENI is not attached to it. */
function activeTarget(observation: RouteObservation, decision: GatewayDecision): GatewayTarget | null {
  if (FROZEN_OUTCOMES.has(decision.outcome) || decision.activeAfter === null) return null;
  const member = observation.members.find((candidate) => candidate.instanceId === decision.activeAfter);
  const eni = member?.primaryNetworkInterfaceId ?? null;
  if (member === undefined || eni === null || observation.networkInterfaces[eni] !== member.instanceId) return null;
  return { networkInterfaceId: eni, instanceId: member.instanceId };
}

function routeActions(observation: RouteObservation, config: RouteConfig, after: GatewayTarget): ActionContent[] {
  return managedRouteSlots(observation, config).flatMap((slot): ActionContent[] => {
    if (!slot.tableObserved || heldBy(slot.route, config) !== null) return [];
    const problem = classifyRoute(slot.route, after.networkInterfaceId, observation, config.primaryPath?.id);
    const where = { routeTableId: slot.routeTableId, destination: slot.destination };
    if (problem === null) return [];
    if (slot.route === undefined) return [{ kind: 'create-route', ...where, reason: 'missing', before: null, after }];
    const before = { target: slot.route.target, state: slot.route.state };
    return [{ kind: 'replace-route', ...where, reason: problem, before, after }];
  });
}

function primaryPathRouteActions(
  observation: RouteObservation,
  config: RouteConfig,
  after: PrimaryPathRouteTarget,
): ActionContent[] {
  return managedRouteSlots(observation, config).flatMap((slot): ActionContent[] => {
    if (!slot.tableObserved || heldBy(slot.route, config) !== null) return [];
    const problem = classifyPrimaryRoute(slot.route, after.id);
    // A route already on the primary path gains nothing from being set to it again, blackhole or not.
    if (problem === null || problem === 'blackhole') return [];
    const before = slot.route === undefined ? null : { target: slot.route.target, state: slot.route.state };
    const where = { routeTableId: slot.routeTableId, destination: slot.destination };
    return [{ kind: 'route-to-primary-path', ...where, reason: problem, before, after }];
  });
}

function sourceDestCheckActions(member: GatewayMember, after: GatewayTarget): ActionContent[] {
  if (!member.sourceDestCheck) return [];
  const { instanceId, networkInterfaceId } = after;
  const change = { before: { sourceDestCheck: true as const }, after: { sourceDestCheck: false as const } };
  return [{ kind: 'disable-source-dest-check', instanceId, networkInterfaceId, ...change }];
}

function eipActions(observation: RouteObservation, config: RouteConfig, after: GatewayTarget): ActionContent[] {
  const eip = observation.elasticIp;
  // EIP off, or not observed: no change on missing data (fail safe).
  if (config.eip.mode === 'off' || eip === null) return [];
  if (eip.allocationId !== config.eip.allocationId) {
    throw new InvalidInputError(
      'elasticIp.allocationId',
      `observed ${eip.allocationId}, configured ${config.eip.allocationId}`,
    );
  }
  if (eip.networkInterfaceId === after.networkInterfaceId) return [];
  const before = {
    associationId: eip.associationId,
    networkInterfaceId: eip.networkInterfaceId,
    instanceId: eip.instanceId,
  };
  return [{ kind: 'move-eip', allocationId: eip.allocationId, before, after }];
}

/**
 * Plans the changes that make every managed route (managed table x managed destination) target the active
 * gateway's primary ENI, disable its source/dest check and keep the EIP on it. Unmanaged tables and destinations
 * are never named. Empty when nothing may change (no healthy member, refused operation).
 */
export function planRouteChanges(
  observation: RouteObservation,
  decision: GatewayDecision,
  config: RouteConfig,
  path?: PathDecision,
): RoutePlan {
  const after = activeTarget(observation, decision);
  const member = observation.members.find((candidate) => candidate.instanceId === after?.instanceId);
  const gatewayActions =
    after === null || member === undefined
      ? []
      : [...sourceDestCheckActions(member, after), ...eipActions(observation, config, after)];
  // With a primary path chosen, the routes take it while the active gateway stays ready as the backup; a primary
  // path kept only because no gateway can take over gets no new routes (they stay as they were).
  const primary: PrimaryPathRouteTarget | null =
    path?.after === 'primary' ? { primaryPath: path.primaryPath.kind, id: path.primaryPath.id } : null;
  const routes =
    primary !== null
      ? path?.health.verdict === 'usable'
        ? primaryPathRouteActions(observation, config, primary)
        : []
      : after === null || member === undefined
        ? []
        : routeActions(observation, config, after);
  const contents =
    path?.outcome === 'refused'
      ? []
      : [
          ...gatewayActions.filter((action) => action.kind === 'disable-source-dest-check'),
          ...routes,
          ...gatewayActions.filter((action) => action.kind === 'move-eip'),
        ];
  const held = heldRoutes(observation, config);
  return {
    group: config.group,
    decision,
    activeNetworkInterfaceId: after?.networkInterfaceId ?? null,
    actions: contents.map((content) => identifyAction(config.group, content)),
    ...(path ? { path } : {}),
    ...(held.length > 0 ? { held } : {}),
  };
}
