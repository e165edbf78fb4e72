import { checkIpv6Cidr } from './cidr.js';
import type { ObservedRoute, RouteConfig, RouteDestination, RouteObservation, RouteProblem } from './types.js';

/** Comparison key of a destination: IPv6 in canonical text, prefix lists in lowercase. */
export function destinationKey(destination: RouteDestination): string {
  if (destination.kind === 'ipv6-cidr') {
    const check = checkIpv6Cidr(destination.value);
    return `ipv6-cidr:${'cidr' in check ? check.cidr : destination.value.toLowerCase()}`;
  }
  return `${destination.kind}:${destination.value.toLowerCase()}`;
}

/** Managed route tables: the configured ids, plus the observed tables tagged for the group when enabled. */
export function managedRouteTableIds(config: RouteConfig, observation: RouteObservation): string[] {
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
export function managedRouteSlots(observation: RouteObservation, config: RouteConfig): ManagedRouteSlot[] {
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

/** Why a managed route does not point at the active ENI, or null when it already does. */
export function classifyRoute(
  route: ObservedRoute | undefined,
  activeNetworkInterfaceId: string,
  observation: RouteObservation,
): RouteProblem | null {
  if (route === undefined) return 'missing';
  if (route.state === 'blackhole') return 'blackhole';
  const eni = route.target.networkInterfaceId;
  if (eni === undefined) return route.target.instanceId === undefined ? 'other-target' : 'instance-target';
  if (route.target.gatewayId !== undefined || route.target.transitGatewayId !== undefined) return 'other-target';
  if (!Object.hasOwn(observation.networkInterfaces, eni)) return 'missing-eni';
  const attachedTo = observation.networkInterfaces[eni];
  // The active ENI is right while attached, even if its instance is still pending (kept through a soft failure).
  if (eni === activeNetworkInterfaceId && attachedTo !== null) return null;
  const runningMember = observation.members.some((m) => m.instanceId === attachedTo && m.state === 'running');
  return runningMember ? 'not-active-gateway' : 'eni-not-on-running-member';
}
