import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  type Filter,
  type Instance,
  ModifyNetworkInterfaceAttributeCommand,
  paginateDescribeInstanceStatus,
  paginateDescribeInstances,
  paginateDescribeRouteTables,
  ReplaceRouteCommand,
  type Route,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { ec2Client } from '../commons/clients.js';
import { ActionFailedError, classifyAwsError, LeaseLostError, RetryableAwsError } from '../commons/errors.js';
import type {
  GatewayMember,
  InstanceState,
  ObservedElasticIp,
  ObservedRouteTable,
  PlanAction,
  RouteConfig,
  RouteDestination,
  StatusCheck,
} from '../core/routes/types.js';
import { applyPrimaryPathRoute } from './primary-path.js';

export const GROUP_TAG = 'cgw-autopilot:group';
export const PRIORITY_TAG = 'cgw-autopilot:priority';
export const MANAGED_TAG = 'cgw-autopilot:managed';

/** What EC2 says about the group: its members, the ENIs attached to them, and the managed route tables. */
export interface Ec2Observation {
  members: GatewayMember[];
  networkInterfaces: Record<string, string | null>;
  routeTables: ObservedRouteTable[];
  elasticIp: ObservedElasticIp | null;
}

const tag = (tags: { Key?: string; Value?: string }[] | undefined, key: string) =>
  tags?.find((t) => t.Key === key)?.Value;

/** Every instance carrying the group tag, in any state EC2 still reports (terminated ones for about an hour). */
async function describeGroupInstances(group: string): Promise<Instance[]> {
  const instances: Instance[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2Client(), pageSize: 1000 },
    { Filters: [{ Name: `tag:${GROUP_TAG}`, Values: [group] }] },
  );
  for await (const page of pages) for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
  return instances;
}

/**
 * Status checks of every running instance in the region, asked side by side with the group's
 * instances rather than after them: one round trip less on the failover path. Status checks have no
 * tag filter, so this reads the whole region's running instances (one page per 1,000).
 */
async function describeRunningStatuses(): Promise<Map<string, { system: StatusCheck; instance: StatusCheck }>> {
  const statuses = new Map<string, { system: StatusCheck; instance: StatusCheck }>();
  const pages = paginateDescribeInstanceStatus(
    { client: ec2Client(), pageSize: 1000 },
    { Filters: [{ Name: 'instance-state-name', Values: ['running'] }] },
  );
  for await (const page of pages) {
    for (const s of page.InstanceStatuses ?? []) {
      statuses.set(s.InstanceId!, {
        system: (s.SystemStatus?.Status ?? 'not-applicable') as StatusCheck,
        instance: (s.InstanceStatus?.Status ?? 'not-applicable') as StatusCheck,
      });
    }
  }
  return statuses;
}

/** The managed route tables: the configured ids and, when enabled, those tagged managed (not claimed by another group). */
async function describeManagedRouteTables(config: RouteConfig): Promise<RouteTable[]> {
  const queries: Filter[][] = [];
  // Filters, not RouteTableIds: a configured table that no longer exists is reported, not fatal.
  if (config.routeTableIds.length) queries.push([{ Name: 'route-table-id', Values: config.routeTableIds }]);
  if (config.manageTaggedRouteTables) queries.push([{ Name: `tag:${MANAGED_TAG}`, Values: ['true'] }]);
  const tables = new Map<string, RouteTable>();
  await Promise.all(
    queries.map(async (Filters) => {
      for await (const page of paginateDescribeRouteTables({ client: ec2Client(), pageSize: 100 }, { Filters })) {
        for (const table of page.RouteTables ?? []) tables.set(table.RouteTableId!, table);
      }
    }),
  );
  return [...tables.values()];
}

/** A target that is neither an instance ENI nor a gateway, TGW or peering (NAT, egress-only, local, carrier...). */
function otherTarget(route: Route): { otherTargetId?: string } {
  const id =
    route.NatGatewayId ??
    route.EgressOnlyInternetGatewayId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.CoreNetworkArn;
  return id ? { otherTargetId: id } : {};
}

function observedTable(table: RouteTable, group: string): ObservedRouteTable {
  const claimedBy = tag(table.Tags, GROUP_TAG);
  return {
    routeTableId: table.RouteTableId!,
    ...(table.VpcId ? { vpcId: table.VpcId } : {}),
    taggedForGroup: tag(table.Tags, MANAGED_TAG) === 'true' && (claimedBy === undefined || claimedBy === group),
    routes: (table.Routes ?? []).flatMap((route) => {
      const destination: RouteDestination | undefined = route.DestinationCidrBlock
        ? { kind: 'ipv4-cidr', value: route.DestinationCidrBlock }
        : route.DestinationIpv6CidrBlock
          ? { kind: 'ipv6-cidr', value: route.DestinationIpv6CidrBlock }
          : route.DestinationPrefixListId
            ? { kind: 'prefix-list', value: route.DestinationPrefixListId }
            : undefined;
      if (!destination) return [];
      return [
        {
          destination,
          target: {
            ...(route.NetworkInterfaceId ? { networkInterfaceId: route.NetworkInterfaceId } : {}),
            ...(route.InstanceId ? { instanceId: route.InstanceId } : {}),
            ...(route.GatewayId ? { gatewayId: route.GatewayId } : {}),
            ...(route.TransitGatewayId ? { transitGatewayId: route.TransitGatewayId } : {}),
            ...(route.VpcPeeringConnectionId ? { vpcPeeringConnectionId: route.VpcPeeringConnectionId } : {}),
            ...otherTarget(route),
          },
          state: route.State === 'blackhole' ? ('blackhole' as const) : ('active' as const),
        },
      ];
    }),
  };
}

/** Observes the group in one round of parallel calls (plus pages): never one call per route. */
export async function observeEc2(config: RouteConfig): Promise<Ec2Observation> {
  try {
    const [instances, tables, addresses, statuses] = await Promise.all([
      describeGroupInstances(config.group),
      describeManagedRouteTables(config),
      config.eip.mode === 'keep-on-active'
        ? ec2Client().send(
            new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: [config.eip.allocationId] }] }),
          )
        : undefined,
      describeRunningStatuses(),
    ]);
    const address = addresses?.Addresses?.[0];
    const networkInterfaces: Record<string, string | null> = {};
    const members: GatewayMember[] = instances.map((instance) => {
      const enis = instance.NetworkInterfaces ?? [];
      for (const eni of enis)
        networkInterfaces[eni.NetworkInterfaceId!] =
          eni.Attachment?.Status === 'attached' ? instance.InstanceId! : null;
      const primary = enis.find((eni) => eni.Attachment?.DeviceIndex === 0);
      const priority = Number(tag(instance.Tags, PRIORITY_TAG));
      const status = statuses.get(instance.InstanceId!);
      return {
        instanceId: instance.InstanceId!,
        state: (instance.State?.Name ?? 'pending') as InstanceState,
        systemStatus: status?.system ?? 'not-applicable',
        instanceStatus: status?.instance ?? 'not-applicable',
        primaryNetworkInterfaceId: primary?.NetworkInterfaceId ?? null,
        sourceDestCheck: primary?.SourceDestCheck ?? instance.SourceDestCheck ?? true,
        priority: Number.isFinite(priority) && tag(instance.Tags, PRIORITY_TAG) !== undefined ? priority : null,
        publicIp: instance.PublicIpAddress ?? null,
        eipAssociationId:
          address?.InstanceId === instance.InstanceId ||
          (primary && address?.NetworkInterfaceId === primary.NetworkInterfaceId)
            ? (address?.AssociationId ?? null)
            : null,
      };
    });
    const elasticIp: ObservedElasticIp | null =
      config.eip.mode === 'keep-on-active' && address
        ? {
            allocationId: address.AllocationId!,
            associationId: address.AssociationId ?? null,
            networkInterfaceId: address.NetworkInterfaceId ?? null,
            instanceId: address.InstanceId ?? null,
          }
        : null;
    return { members, networkInterfaces, routeTables: tables.map((t) => observedTable(t, config.group)), elasticIp };
  } catch (err) {
    return classifyAwsError(err, `observing gateway group ${config.group}`);
  }
}

/** Only the managed route tables, for verification after apply. */
export async function observeRouteTables(config: RouteConfig): Promise<ObservedRouteTable[]> {
  try {
    return (await describeManagedRouteTables(config)).map((t) => observedTable(t, config.group));
  } catch (err) {
    return classifyAwsError(err, `observing the route tables of group ${config.group}`);
  }
}

function destinationParams(destination: RouteDestination) {
  if (destination.kind === 'ipv4-cidr') return { DestinationCidrBlock: destination.value };
  if (destination.kind === 'ipv6-cidr') return { DestinationIpv6CidrBlock: destination.value };
  return { DestinationPrefixListId: destination.value };
}

/** What applying one action did. */
export type ActionResult = 'applied' | 'applied-as-replace' | 'applied-as-create';

/**
 * Applies one plan action with one EC2 call. A create that finds the route already there, or a
 * replace that finds it gone, switches to the other call: someone changed the table in between.
 */
export async function applyAction(
  action: PlanAction,
  options: { fence?: () => Promise<void> } = {},
): Promise<ActionResult> {
  if (action.kind === 'route-to-primary-path') return applyPrimaryPathRoute(action, options);
  const ec2 = ec2Client();
  // Every write is preceded by the fencing check: a run that lost its lease writes nothing more.
  const fenced = async <T>(write: () => Promise<T>): Promise<T> => {
    await options.fence?.();
    return write();
  };
  try {
    switch (action.kind) {
      case 'replace-route':
      case 'create-route': {
        const params = {
          RouteTableId: action.routeTableId,
          ...destinationParams(action.destination),
          NetworkInterfaceId: action.after.networkInterfaceId,
        };
        try {
          if (action.kind === 'replace-route') await fenced(() => ec2.send(new ReplaceRouteCommand(params)));
          else await fenced(() => ec2.send(new CreateRouteCommand(params)));
          return 'applied';
        } catch (err) {
          const name = (err as { name?: string }).name;
          if (action.kind === 'create-route' && name === 'RouteAlreadyExists') {
            await fenced(() => ec2.send(new ReplaceRouteCommand(params)));
            return 'applied-as-replace';
          }
          if (
            action.kind === 'replace-route' &&
            name === 'InvalidParameterValue' &&
            /no route defined/i.test((err as Error).message)
          ) {
            await fenced(() => ec2.send(new CreateRouteCommand(params)));
            return 'applied-as-create';
          }
          throw err;
        }
      }
      case 'disable-source-dest-check':
        await fenced(() =>
          ec2.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: action.networkInterfaceId,
              SourceDestCheck: { Value: false },
            }),
          ),
        );
        return 'applied';
      case 'move-eip':
        await fenced(() =>
          ec2.send(
            new AssociateAddressCommand({
              AllocationId: action.allocationId,
              NetworkInterfaceId: action.after.networkInterfaceId,
              AllowReassociation: true,
            }),
          ),
        );
        return 'applied';
    }
  } catch (err) {
    // The fencing check's own errors are already named for the ASL.
    if (err instanceof LeaseLostError || err instanceof RetryableAwsError || err instanceof ActionFailedError)
      throw err;
    return classifyAwsError(err, `${action.kind} ${action.actionId}`);
  }
}
