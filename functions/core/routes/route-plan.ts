import { createHash } from 'node:crypto';
import { InvalidInputError } from './errors.js';
import { classifyRoute, managedRouteSlots } from './managed-routes.js';
import type {
  GatewayDecision,
  GatewayMember,
  GatewayTarget,
  PlanAction,
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
    if (!slot.tableObserved) return [];
    const problem = classifyRoute(slot.route, after.networkInterfaceId, observation);
    const where = { routeTableId: slot.routeTableId, destination: slot.destination };
    if (problem === null) return [];
    if (slot.route === undefined) return [{ kind: 'create-route', ...where, reason: 'missing', before: null, after }];
    const before = { target: slot.route.target, state: slot.route.state };
    return [{ kind: 'replace-route', ...where, reason: problem, before, after }];
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
): RoutePlan {
  const after = activeTarget(observation, decision);
  const member = observation.members.find((candidate) => candidate.instanceId === after?.instanceId);
  const contents =
    after === null || member === undefined
      ? []
      : [
          ...sourceDestCheckActions(member, after),
          ...routeActions(observation, config, after),
          ...eipActions(observation, config, after),
        ];
  return {
    group: config.group,
    decision,
    activeNetworkInterfaceId: after?.networkInterfaceId ?? null,
    actions: contents.map((content) => identifyAction(config.group, content)),
  };
}
