import { checkIpv6Cidr } from '../ip.js';
import type {
  HeldRoute,
  ObservedRoute,
  RouteConfig,
  RouteDestination,
  RouteObservation,
  RouteProblem,
} from './types.js';

/** Comparison key of a destination: IPv6 in canonical text, prefix lists in lowercase. */
export function destinationKey(destination: RouteDestination): string {
  if (destination.kind === 'ipv6-cidr') {
    const check = checkIpv6Cidr(destination.value);
    return `ipv6-cidr:${'cidr' in check ? check.cidr : destination.value.toLowerCase()}`;
  }
  return `${destination.kind}:${destination.value.toLowerCase()}`;
}

/** Managed route tables: the configured ids, plus the observed tables tagged for the group when enabled. */
export function managedRouteTableIds(
  config: RouteConfig,
  observation: Pick<RouteObservation, 'routeTables'>,
): string[] {
  const tagged = config.manageTaggedRouteTables
    ? observation.routeTables.filter((table) => table.taggedForGroup).map((table) => table.routeTableId)
    : [];
  return [...new Set([...config.routeTableIds, ...tagged])].sort();
}

/** One managed route table x managed destination, with what was observed there. */
export interface ManagedRouteSlot {
  routeTableId: string;
  destination: RouteDestination;
  /** False when the route table itself was not observed: nothing may be changed there. */
  tableObserved: boolean;
  /** The route, or undefined when it is missing (or the table was not observed). */
  route: ObservedRoute | undefined;
}

/** Every managed route slot; routes of unmanaged tables or destinations never appear. */
export function managedRouteSlots(
  observation: Pick<RouteObservation, 'routeTables'>,
  config: RouteConfig,
): ManagedRouteSlot[] {
  return managedRouteTableIds(config, observation).flatMap((routeTableId) => {
    const table = observation.routeTables.find((candidate) => candidate.routeTableId === routeTableId);
    return config.destinations.map((destination) => ({
      routeTableId,
      destination,
      tableObserved: table !== undefined,
      route: table?.routes.find((route) => destinationKey(route.destination) === destinationKey(destination)),
    }));
  });
}

/** The id of a route's target when it is not an instance or ENI (tgw-, vgw-, igw-, pcx-, nat-...), else null. */
export function nonInstanceTarget(route: ObservedRoute): string | null {
  const t = route.target;
  return t.transitGatewayId ?? t.gatewayId ?? t.vpcPeeringConnectionId ?? t.otherTargetId ?? null;
}

/**
 * The target that holds a managed route the reconciler must leave alone, or null: a target that is not an
 * instance ENI and not the configured primary path, under the `hold` policy (the default).
 */
export function heldBy(route: ObservedRoute | undefined, config: RouteConfig): string | null {
  if (route === undefined || (config.otherTargets ?? 'hold') === 'replace') return null;
  const target = nonInstanceTarget(route);
  if (target === null || target === config.primaryPath?.id) return null;
  return target;
}

/** Every managed route another target holds, as the report lists them. */
export function heldRoutes(observation: RouteObservation, config: RouteConfig): HeldRoute[] {
  return managedRouteSlots(observation, config).flatMap((slot): HeldRoute[] => {
    const holder = slot.tableObserved ? heldBy(slot.route, config) : null;
    if (holder === null || slot.route === undefined) return [];
    return [
      { routeTableId: slot.routeTableId, destination: slot.destination, heldBy: holder, state: slot.route.state },
    ];
  });
}

/** Why a managed route does not take the chosen primary path, or null when it does. */
export function classifyPrimaryRoute(route: ObservedRoute | undefined, primaryPathId: string): RouteProblem | null {
  if (route === undefined) return 'missing';
  if (nonInstanceTarget(route) !== primaryPathId) return 'off-primary-path';
  return route.state === 'blackhole' ? 'blackhole' : null;
}

/**
 * Why a managed route does not point at `networkInterfaceId`, judged by the route alone (its target and
 * state), or null when it does: what verification after apply needs.
 */
export function classifyTarget(
  route: ObservedRoute | undefined,
  networkInterfaceId: string,
  primaryPathId?: string,
): RouteProblem | null {
  if (route === undefined) return 'missing';
  if (primaryPathId !== undefined && nonInstanceTarget(route) === primaryPathId) return 'on-primary-path';
  if (route.state === 'blackhole') return 'blackhole';
  const eni = route.target.networkInterfaceId;
  if (eni === undefined) return route.target.instanceId === undefined ? 'other-target' : 'instance-target';
  if (nonInstanceTarget(route) !== null) return 'other-target';
  return eni === networkInterfaceId ? null : 'not-active-gateway';
}

/** Why a managed route does not point at the active ENI, or null when it already does. */
export function classifyRoute(
  route: ObservedRoute | undefined,
  activeNetworkInterfaceId: string,
  observation: Pick<RouteObservation, 'networkInterfaces' | 'members'>,
  primaryPathId?: string,
): RouteProblem | null {
  const problem = classifyTarget(route, activeNetworkInterfaceId, primaryPathId);
  if (problem !== null && problem !== 'not-active-gateway') return problem;
  // The route targets an ENI: whether that ENI exists and whose it is decides the rest.
  const eni = route!.target.networkInterfaceId!;
  if (!Object.hasOwn(observation.networkInterfaces, eni)) return 'missing-eni';
  const attachedTo = observation.networkInterfaces[eni];
  // The active ENI is right while attached, even if its instance is still pending (kept through a soft failure).
  if (eni === activeNetworkInterfaceId && attachedTo !== null) return null;
  const runningMember = observation.members.some((m) => m.instanceId === attachedTo && m.state === 'running');
  return runningMember ? 'not-active-gateway' : 'eni-not-on-running-member';
}
