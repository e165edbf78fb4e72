import {
  CreateRouteCommand,
  type CreateRouteCommandInput,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpnGatewaysCommand,
  paginateDescribeTransitGatewayVpcAttachments,
  paginateGetManagedPrefixListEntries,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { ec2Client } from '../commons/clients.js';
import { ActionFailedError, classifyAwsError, LeaseLostError, RetryableAwsError } from '../commons/errors.js';
import type {
  ObservedPrimaryPath,
  PrimaryPath,
  PrimaryPathRouteAction,
  RouteConfig,
  RouteDestination,
} from '../core/routes/types.js';
import type { ActionResult } from './ec2-routes.js';

/** What the mixed-path checks read from EC2 besides the group: the primary path and the prefix lists' entries. */
export interface MixedPathObservation {
  primaryPath: ObservedPrimaryPath | null;
  prefixListEntries: Record<string, string[]>;
}

/** Attachment states ranked best first, so a VPC with an old `deleted` and a new `available` attachment is usable. */
const TGW_STATE_RANK = ['available', 'modifying', 'pending', 'pendingAcceptance', 'initiatingRequest', 'initiating'];

function better(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  const rank = (state: string) => {
    const index = TGW_STATE_RANK.indexOf(state);
    return index < 0 ? TGW_STATE_RANK.length : index;
  };
  return rank(b) < rank(a) ? b : a;
}

async function transitGateway(id: string): Promise<ObservedPrimaryPath> {
  const vpcStates: Record<string, string> = {};
  const pages = paginateDescribeTransitGatewayVpcAttachments(
    { client: ec2Client(), pageSize: 1000 },
    { Filters: [{ Name: 'transit-gateway-id', Values: [id] }] },
  );
  for await (const page of pages) {
    for (const attachment of page.TransitGatewayVpcAttachments ?? []) {
      if (attachment.VpcId && attachment.State) {
        vpcStates[attachment.VpcId] = better(vpcStates[attachment.VpcId], attachment.State);
      }
    }
  }
  // A missing Transit Gateway shows as no attachment in any VPC: judged unusable in every managed VPC.
  return { kind: 'transit-gateway', id, exists: true, vpcStates };
}

async function vpnGateway(id: string): Promise<ObservedPrimaryPath> {
  try {
    const { VpnGateways } = await ec2Client().send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [id] }));
    const vgw = VpnGateways?.[0];
    const vpcStates: Record<string, string> = {};
    for (const attachment of vgw?.VpcAttachments ?? []) {
      if (attachment.VpcId && attachment.State) vpcStates[attachment.VpcId] = attachment.State;
    }
    return { kind: 'vpn-gateway', id, exists: vgw !== undefined && vgw.State !== 'deleted', vpcStates };
  } catch (err) {
    if ((err as { name?: string }).name === 'InvalidVpnGatewayID.NotFound') {
      return { kind: 'vpn-gateway', id, exists: false, vpcStates: {} };
    }
    throw err;
  }
}

async function peeringConnection(id: string): Promise<ObservedPrimaryPath> {
  try {
    const { VpcPeeringConnections } = await ec2Client().send(
      new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }),
    );
    const pcx = VpcPeeringConnections?.[0];
    const code = pcx?.Status?.Code;
    const vpcStates: Record<string, string> = {};
    for (const vpc of [pcx?.RequesterVpcInfo?.VpcId, pcx?.AccepterVpcInfo?.VpcId]) {
      if (vpc && code) vpcStates[vpc] = code;
    }
    return { kind: 'vpc-peering-connection', id, exists: pcx !== undefined, vpcStates };
  } catch (err) {
    if ((err as { name?: string }).name === 'InvalidVpcPeeringConnectionID.NotFound') {
      return { kind: 'vpc-peering-connection', id, exists: false, vpcStates: {} };
    }
    throw err;
  }
}

function observePrimaryPath(primary: PrimaryPath): Promise<ObservedPrimaryPath> {
  if (primary.kind === 'transit-gateway') return transitGateway(primary.id);
  if (primary.kind === 'vpn-gateway') return vpnGateway(primary.id);
  return peeringConnection(primary.id);
}

async function prefixListEntries(id: string): Promise<string[]> {
  const cidrs: string[] = [];
  for await (const page of paginateGetManagedPrefixListEntries(
    { client: ec2Client(), pageSize: 100 },
    { PrefixListId: id },
  )) {
    for (const entry of page.Entries ?? []) if (entry.Cidr) cidrs.push(entry.Cidr);
  }
  return cidrs;
}

/** Reads the primary path and every managed prefix list's entries, side by side (read-only calls). */
export async function observeMixedPaths(config: RouteConfig): Promise<MixedPathObservation> {
  const lists = config.destinations.filter((d) => d.kind === 'prefix-list').map((d) => d.value);
  try {
    const [primaryPath, entries] = await Promise.all([
      config.primaryPath ? observePrimaryPath(config.primaryPath) : null,
      Promise.all(lists.map(async (id) => [id, await prefixListEntries(id)] as const)),
    ]);
    return { primaryPath, prefixListEntries: Object.fromEntries(entries) };
  } catch (err) {
    return classifyAwsError(err, `observing the primary path and prefix lists of group ${config.group}`);
  }
}

function destinationParams(destination: RouteDestination) {
  if (destination.kind === 'ipv4-cidr') return { DestinationCidrBlock: destination.value };
  if (destination.kind === 'ipv6-cidr') return { DestinationIpv6CidrBlock: destination.value };
  return { DestinationPrefixListId: destination.value };
}

/** The CreateRoute/ReplaceRoute target field of each kind of primary path. */
function targetParams(action: PrimaryPathRouteAction) {
  if (action.after.primaryPath === 'transit-gateway') return { TransitGatewayId: action.after.id };
  if (action.after.primaryPath === 'vpn-gateway') return { GatewayId: action.after.id };
  return { VpcPeeringConnectionId: action.after.id };
}

/**
 * Points a managed route at the primary path with one EC2 call: ReplaceRoute, or CreateRoute when the plan saw
 * no route; either switches to the other when someone changed the table in between.
 */
export async function applyPrimaryPathRoute(
  action: PrimaryPathRouteAction,
  options: { fence?: () => Promise<void> } = {},
): Promise<ActionResult> {
  const ec2 = ec2Client();
  // Every write is preceded by the fencing check: a run that lost its lease writes nothing more.
  const send = async (command: CreateRouteCommand | ReplaceRouteCommand) => {
    await options.fence?.();
    return ec2.send(command as never);
  };
  const params: CreateRouteCommandInput = {
    RouteTableId: action.routeTableId,
    ...destinationParams(action.destination),
    ...targetParams(action),
  };
  try {
    try {
      if (action.before === null) await send(new CreateRouteCommand(params));
      else await send(new ReplaceRouteCommand(params));
      return 'applied';
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (action.before === null && name === 'RouteAlreadyExists') {
        await send(new ReplaceRouteCommand(params));
        return 'applied-as-replace';
      }
      if (
        action.before !== null &&
        name === 'InvalidParameterValue' &&
        /no route defined/i.test((err as Error).message)
      ) {
        await send(new CreateRouteCommand(params));
        return 'applied-as-create';
      }
      throw err;
    }
  } catch (err) {
    // The fencing check's own errors are already named for the ASL.
    if (err instanceof LeaseLostError || err instanceof RetryableAwsError || err instanceof ActionFailedError)
      throw err;
    return classifyAwsError(err, `${action.kind} ${action.actionId}`);
  }
}
