import type { TopologyInput } from '../../sim/drill/scenario.js';

/**
 * The smallest group the route handlers act on: one VPC, cgw-a (priority 1) and cgw-b (priority 2)
 * tagged into vendor-vpn, and managed route tables (`tables`, one named private unless told) whose route
 * to `vendorCidr` points at cgw-a. `extra` adds to it (an Elastic IP, say).
 */
export function gatewayPair(
  vendorCidr: string,
  extra: Partial<TopologyInput> = {},
  tables: string[] = ['private'],
): TopologyInput {
  return {
    vpcs: [{ name: 'app', cidr: '10.0.0.0/16', subnets: [{ name: 'gw', cidr: '10.0.0.0/24' }] }],
    instances: ['cgw-a', 'cgw-b'].map((name, i) => ({
      name,
      subnet: 'app.gw',
      sourceDestCheck: false,
      tags: { 'cgw-autopilot:group': 'vendor-vpn', 'cgw-autopilot:priority': String(i + 1) },
    })),
    routeTables: tables.map((name) => ({
      name,
      vpc: 'app',
      tags: { 'cgw-autopilot:managed': 'true' },
      routes: [{ destination: vendorCidr, target: { eniOf: 'cgw-a' } }],
    })),
    ...extra,
  };
}
