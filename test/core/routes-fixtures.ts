// Builders of route-reconciler inputs for the core's tests (plain data, like the adapters produce).
import type {
  AgentReport,
  GatewayMember,
  GroupRecord,
  ObservedRoute,
  ObservedRouteTable,
  RouteConfig,
  RouteObservation,
} from '../../functions/core/routes/index.js';

export const NOW = '2025-06-01T12:00:00.000Z';
export const GROUP = 'vendor-vpn';
export const TABLE_A = 'rtb-0000000a';
export const TABLE_B = 'rtb-0000000b';
export const VENDOR_CIDR = { kind: 'ipv4-cidr', value: '10.10.0.0/16' } as const;
export const VENDOR_PREFIX_LIST = { kind: 'prefix-list', value: 'pl-0000000a' } as const;

/** ISO time `seconds` after NOW (negative = before). */
export function at(seconds: number): string {
  return new Date(Date.parse(NOW) + seconds * 1000).toISOString();
}

export function testConfig(overrides: Partial<RouteConfig> = {}): RouteConfig {
  return {
    group: GROUP,
    routeTableIds: [TABLE_A, TABLE_B],
    manageTaggedRouteTables: false,
    destinations: [VENDOR_CIDR, VENDOR_PREFIX_LIST],
    requireAgentReports: true,
    agentStaleAfterSeconds: 180,
    confirmationDelaySeconds: 60,
    corroboratedConfirmationSeconds: 4,
    cooldownSeconds: 300,
    failback: { mode: 'manual', stableSeconds: 600 },
    maxChangesPerRun: 20,
    maxActionsPerExecution: 250,
    eip: { mode: 'off' },
    ...overrides,
  };
}

/** A running member `i-<name>` with ENI `eni-<name>`, source/dest check already off. */
export function gateway(name: string, overrides: Partial<GatewayMember> = {}): GatewayMember {
  return {
    instanceId: `i-${name}`,
    state: 'running',
    systemStatus: 'ok',
    instanceStatus: 'ok',
    primaryNetworkInterfaceId: `eni-${name}`,
    sourceDestCheck: false,
    priority: null,
    publicIp: null,
    eipAssociationId: null,
    ...overrides,
  };
}

/** A fresh report of `i-<name>` with both tunnels and BGP up. */
export function upReport(name: string, overrides: Partial<AgentReport> = {}): AgentReport {
  return {
    instanceId: `i-${name}`,
    tunnels: [
      { name: 'tunnel-1', status: 'up' },
      { name: 'tunnel-2', status: 'up' },
    ],
    bgp: 'up',
    reportedAt: at(-30),
    receivedAt: at(-30),
    ...overrides,
  };
}

export function groupRecord(overrides: Partial<GroupRecord> = {}): GroupRecord {
  return {
    group: GROUP,
    activeInstanceId: null,
    lastSwitchAt: null,
    preferredHealthySince: null,
    pendingSoftFailure: null,
    ...overrides,
  };
}

/** A route to `eni-<name>` (as EC2 describes an instance route: both ids). */
export function routeTo(name: string, destination: ObservedRoute['destination'] = VENDOR_CIDR): ObservedRoute {
  return { destination, target: { networkInterfaceId: `eni-${name}`, instanceId: `i-${name}` }, state: 'active' };
}

export function table(routeTableId: string, routes: ObservedRoute[], taggedForGroup = false): ObservedRouteTable {
  return { routeTableId, taggedForGroup, routes };
}

/**
 * An observation of `members` with every member's ENI attached to it, fresh full reports for all
 * (unless given) and both managed tables holding both managed routes to `routesTo` (unless given).
 */
export function observe(
  members: GatewayMember[],
  overrides: Partial<RouteObservation> & { routesTo?: string } = {},
): RouteObservation {
  const { routesTo, ...rest } = overrides;
  const routes = routesTo === undefined ? [] : [routeTo(routesTo), routeTo(routesTo, VENDOR_PREFIX_LIST)];
  return {
    group: GROUP,
    now: NOW,
    members,
    agentReports: members.map((member) => upReport(member.instanceId.slice(2))),
    networkInterfaces: Object.fromEntries(
      members.flatMap((m) => (m.primaryNetworkInterfaceId ? [[m.primaryNetworkInterfaceId, m.instanceId]] : [])),
    ),
    routeTables: [table(TABLE_A, routes), table(TABLE_B, routes)],
    elasticIp: null,
    record: groupRecord(),
    ...rest,
  };
}
