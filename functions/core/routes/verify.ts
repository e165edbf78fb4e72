import { classifyPrimaryRoute, classifyTarget, heldBy, managedRouteSlots } from './managed-routes.js';
import type { ObservedRoute, RouteConfig, RouteObservation, RouteProblem, UnconvergedRoute } from './types.js';

/** What verification reads after apply: only the managed route tables as they are now. */
export type RouteTablesView = Pick<RouteObservation, 'routeTables'>;

/**
 * The managed routes `classify` finds a problem with (empty = converged). Routes another target holds
 * are not the reconciler's to converge; they are reported as held instead.
 */
function unconverged(
  view: RouteTablesView,
  config: RouteConfig,
  classify: (route: ObservedRoute | undefined) => RouteProblem | null,
): UnconvergedRoute[] {
  return managedRouteSlots(view, config).flatMap((slot): UnconvergedRoute[] => {
    const where = { routeTableId: slot.routeTableId, destination: slot.destination };
    if (!slot.tableObserved) return [{ ...where, problem: 'route-table-not-observed' }];
    if (heldBy(slot.route, config) !== null) return [];
    const problem = classify(slot.route);
    return problem === null ? [] : [{ ...where, problem }];
  });
}

/** After apply: the managed routes not active or not targeting `activeNetworkInterfaceId` (empty = converged). */
export function verifyRoutes(
  view: RouteTablesView,
  activeNetworkInterfaceId: string,
  config: RouteConfig,
): UnconvergedRoute[] {
  return unconverged(view, config, (route) => classifyTarget(route, activeNetworkInterfaceId, config.primaryPath?.id));
}

/** After apply on the primary path: the managed routes not active on it (empty = converged). */
export function verifyRoutesOnPrimaryPath(
  view: RouteTablesView,
  primaryPathId: string,
  config: RouteConfig,
): UnconvergedRoute[] {
  return unconverged(view, config, (route) => classifyPrimaryRoute(route, primaryPathId));
}
