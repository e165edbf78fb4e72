import { classifyPrimaryRoute, classifyRoute, heldBy, managedRouteSlots } from './managed-routes.js';
import type { RouteConfig, RouteObservation, UnconvergedRoute } from './types.js';

/**
 * After apply: the managed routes not active or not targeting `activeNetworkInterfaceId` (empty = converged).
 * Routes another target holds are not the reconciler's to converge; they are reported as held instead.
 */
export function verifyRoutes(
  observation: RouteObservation,
  activeNetworkInterfaceId: string,
  config: RouteConfig,
): UnconvergedRoute[] {
  return managedRouteSlots(observation, config).flatMap((slot): UnconvergedRoute[] => {
    const where = { routeTableId: slot.routeTableId, destination: slot.destination };
    if (!slot.tableObserved) return [{ ...where, problem: 'route-table-not-observed' }];
    if (heldBy(slot.route, config) !== null) return [];
    const problem = classifyRoute(slot.route, activeNetworkInterfaceId, observation, config.primaryPath?.id);
    return problem === null ? [] : [{ ...where, problem }];
  });
}

/** After apply on the primary path: the managed routes not active on it (empty = converged). */
export function verifyRoutesOnPrimaryPath(
  observation: RouteObservation,
  primaryPathId: string,
  config: RouteConfig,
): UnconvergedRoute[] {
  return managedRouteSlots(observation, config).flatMap((slot): UnconvergedRoute[] => {
    const where = { routeTableId: slot.routeTableId, destination: slot.destination };
    if (!slot.tableObserved) return [{ ...where, problem: 'route-table-not-observed' }];
    if (heldBy(slot.route, config) !== null) return [];
    const problem = classifyPrimaryRoute(slot.route, primaryPathId);
    return problem === null ? [] : [{ ...where, problem }];
  });
}
