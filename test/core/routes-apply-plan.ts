// Test helper: what EC2 would look like after a plan is applied in full (pure, on a copy).
import type { PlanAction, RouteObservation } from '../../functions/core/routes/index.js';
import { destinationKey } from '../../functions/core/routes/index.js';

function applyAction(observation: RouteObservation, action: PlanAction): void {
  switch (action.kind) {
    case 'replace-route':
    case 'create-route': {
      const table = observation.routeTables.find((candidate) => candidate.routeTableId === action.routeTableId);
      if (table === undefined) throw new Error(`${action.kind} names unobserved table ${action.routeTableId}`);
      const key = destinationKey(action.destination);
      const route = table.routes.find((candidate) => destinationKey(candidate.destination) === key);
      if ((route === undefined) !== (action.kind === 'create-route')) throw new Error(`${action.kind} does not fit`);
      const target = { networkInterfaceId: action.after.networkInterfaceId, instanceId: action.after.instanceId };
      if (route === undefined) table.routes.push({ destination: action.destination, target, state: 'active' });
      else Object.assign(route, { target, state: 'active' });
      return;
    }
    case 'disable-source-dest-check': {
      const member = observation.members.find((candidate) => candidate.instanceId === action.instanceId);
      if (member === undefined) throw new Error(`no member ${action.instanceId}`);
      member.sourceDestCheck = false;
      return;
    }
    case 'move-eip':
      observation.elasticIp = { allocationId: action.allocationId, associationId: 'eipassoc-applied', ...action.after };
      return;
    case 'route-to-primary-path': {
      const table = observation.routeTables.find((candidate) => candidate.routeTableId === action.routeTableId);
      if (table === undefined) throw new Error(`${action.kind} names unobserved table ${action.routeTableId}`);
      const key = destinationKey(action.destination);
      const route = table.routes.find((candidate) => destinationKey(candidate.destination) === key);
      if ((route === undefined) !== (action.before === null)) throw new Error(`${action.kind} does not fit`);
      const field = {
        'transit-gateway': 'transitGatewayId',
        'vpn-gateway': 'gatewayId',
        'vpc-peering-connection': 'vpcPeeringConnectionId',
      }[action.after.primaryPath];
      const target = { [field]: action.after.id };
      if (route === undefined) table.routes.push({ destination: action.destination, target, state: 'active' });
      else Object.assign(route, { target, state: 'active' });
      return;
    }
  }
}

/** The observation after every action of the plan succeeded. */
export function applyPlanToObservation(observation: RouteObservation, actions: PlanAction[]): RouteObservation {
  const applied = structuredClone(observation);
  for (const action of actions) applyAction(applied, action);
  return applied;
}
