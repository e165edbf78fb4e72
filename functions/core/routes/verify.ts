import { classifyRoute, managedRouteSlots } from './managed-routes.js';
import type { RouteConfig, RouteObservation, UnconvergedRoute } from './types.js';

/** After apply: the managed routes not active or not targeting `activeNetworkInterfaceId` (empty = converged). */
export function verifyRoutes(
  observation: RouteObservation,
  activeNetworkInterfaceId: string,
  config: RouteConfig,
): UnconvergedRoute[] {
  return managedRouteSlots(observation, config).flatMap((slot): UnconvergedRoute[] => {
    const where = { routeTableId: slot.routeTableId, destination: slot.destination };
    if (!slot.tableObserved) return [{ ...where, problem: 'route-table-not-observed' }];
    const problem = classifyRoute(slot.route, activeNetworkInterfaceId, observation);
    return problem === null ? [] : [{ ...where, problem }];
  });
}
