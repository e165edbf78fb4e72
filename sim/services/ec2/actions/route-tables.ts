import { AwsError } from '../../../core/errors.js';
import { requireIpv4Cidr, requireIpv6Cidr } from '../cidr.js';
import { describe, type Ec2Action, ok } from '../describe.js';
import type { Route, RouteDestination, RouteTable } from '../model.js';
import { optString, type Params, reqString, tagsFor } from '../params.js';
import { routeTableView } from '../views.js';
import type { Ec2World } from '../world.js';
import { localRoutes } from './network.js';

/** Route tables, their associations, and routes with the targets the product uses. */

const DESTINATIONS = ['DestinationCidrBlock', 'DestinationIpv6CidrBlock', 'DestinationPrefixListId'] as const;
const TARGETS = [
  'GatewayId',
  'InstanceId',
  'NetworkInterfaceId',
  'TransitGatewayId',
  'VpcPeeringConnectionId',
] as const;
/** Targets EC2 accepts but this simulation does not model: a clear error beats a silent wrong route. */
const UNMODELLED_TARGETS = [
  'NatGatewayId',
  'EgressOnlyInternetGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'CoreNetworkArn',
  'VpcEndpointId',
];

function readDestination(world: Ec2World, params: Params): RouteDestination {
  const given = DESTINATIONS.filter((d) => optString(params, d) !== undefined);
  if (given.length === 0) {
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId',
    );
  }
  if (given.length > 1) {
    throw new AwsError(
      'InvalidParameterCombination',
      'The parameter destinationCidrBlock cannot be used with the parameter destinationIpv6CidrBlock or destinationPrefixListId',
    );
  }
  const kind = given[0]!;
  const value = optString(params, kind)!;
  if (kind === 'DestinationCidrBlock') requireIpv4Cidr(value, 'destinationCidrBlock');
  else if (kind === 'DestinationIpv6CidrBlock')
    return { kind, value: requireIpv6Cidr(value, 'destinationIpv6CidrBlock') };
  else world.get('prefixList', value);
  return { kind, value };
}

function sameDestination(a: RouteDestination, b: RouteDestination): boolean {
  return a.kind === b.kind && a.value === b.value;
}

/** The single target of a CreateRoute/ReplaceRoute, checked to exist and to live in the table's VPC. */
function readTarget(world: Ec2World, table: RouteTable, params: Params): Omit<Route, 'destination' | 'origin'> {
  const unmodelled = UNMODELLED_TARGETS.find((t) => optString(params, t) !== undefined);
  if (unmodelled) throw new AwsError('InvalidParameterValue', `The simulated EC2 does not model ${unmodelled} targets`);
  const given = TARGETS.filter((t) => optString(params, t) !== undefined);
  if (given.length === 0) {
    throw new AwsError(
      'MissingParameter',
      'The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId or instanceId',
    );
  }
  if (given.length > 1) {
    throw new AwsError('InvalidParameterCombination', 'More than one target specified for the route');
  }
  const differentNetworks = (what: string, id: string) =>
    new AwsError(
      'InvalidParameterValue',
      `route table ${table.routeTableId} and ${what} ${id} belong to different networks`,
    );
  const kind = given[0]!;
  const id = optString(params, kind)!;
  switch (kind) {
    case 'NetworkInterfaceId': {
      const eni = world.get('networkInterface', id);
      if (eni.vpcId !== table.vpcId) throw differentNetworks('network interface', id);
      return { networkInterfaceId: id, ...(eni.attachment ? { instanceId: eni.attachment.instanceId } : {}) };
    }
    case 'InstanceId': {
      const instance = world.get('instance', id);
      if (instance.vpcId !== table.vpcId) throw differentNetworks('instance', id);
      const interfaces = world.interfacesOf(instance);
      if (interfaces.length > 1) {
        throw new AwsError(
          'InvalidInstanceID',
          `There are multiple interfaces attached to instance '${id}'. Please specify an interface ID for the operation instead.`,
        );
      }
      const primary = interfaces[0];
      if (!primary) throw new AwsError('IncorrectInstanceState', `The instance '${id}' is not in a valid state.`);
      // AWS records the instance's primary ENI on an instance route, and shows both.
      return { instanceId: id, networkInterfaceId: primary.networkInterfaceId };
    }
    case 'TransitGatewayId': {
      world.get('transitGateway', id);
      // EC2 answers a route to a Transit Gateway the VPC has no attachment to as if the gateway did not exist
      // (users report InvalidTransitGatewayID.NotFound for it; the documentation does not say).
      const attached = [...world.state.transitGatewayVpcAttachments.values()].some(
        (a) => a.transitGatewayId === id && a.vpcId === table.vpcId && !['deleting', 'deleted'].includes(a.state),
      );
      if (!attached)
        throw new AwsError('InvalidTransitGatewayID.NotFound', `The transitGateway ID '${id}' does not exist`);
      return { transitGatewayId: id };
    }
    case 'VpcPeeringConnectionId': {
      const pcx = world.get('vpcPeeringConnection', id);
      if (pcx.requesterVpcId !== table.vpcId && pcx.accepterVpcId !== table.vpcId) {
        throw differentNetworks('VPC peering connection', id);
      }
      if (['deleting', 'deleted', 'rejected', 'failed', 'expired'].includes(pcx.state)) {
        throw new AwsError(
          'InvalidVpcPeeringConnectionID.NotFound',
          `The vpcPeeringConnection ID '${id}' does not exist`,
        );
      }
      return { vpcPeeringConnectionId: id };
    }
    case 'GatewayId': {
      if (id === 'local')
        throw new AwsError('InvalidParameterValue', 'Cannot create or replace a route with target local');
      if (id.startsWith('vgw-')) {
        const vgw = world.get('vpnGateway', id);
        if (!vgw.attachments.some((a) => a.vpcId === table.vpcId && a.state === 'attached')) {
          throw differentNetworks('network gateway', id);
        }
        return { gatewayId: id };
      }
      const igw = world.state.internetGateways.get(id);
      if (!igw) throw new AwsError('InvalidGatewayID.NotFound', `The gateway ID '${id}' does not exist`);
      if (!igw.attachments.some((a) => a.vpcId === table.vpcId)) throw differentNetworks('network gateway', id);
      return { gatewayId: id };
    }
  }
}

function describeDestination(d: RouteDestination): string {
  return d.value;
}

export const routeTableActions: Record<string, Ec2Action> = {
  CreateRouteTable: (world, params) => {
    const vpc = world.get('vpc', reqString(params, 'VpcId'));
    const table: RouteTable = {
      seq: world.ids.seq(),
      routeTableId: world.ids.next('routeTable'),
      vpcId: vpc.vpcId,
      routes: localRoutes(vpc),
      associations: [],
      tags: tagsFor(params, 'route-table'),
    };
    world.state.routeTables.set(table.routeTableId, table);
    return { routeTable: routeTableView(world, table) };
  },

  DeleteRouteTable: (world, params) => {
    const table = world.get('routeTable', reqString(params, 'RouteTableId'));
    if (table.associations.length > 0) {
      throw new AwsError(
        'DependencyViolation',
        `The routeTable '${table.routeTableId}' has dependencies and cannot be deleted.`,
      );
    }
    world.state.routeTables.delete(table.routeTableId);
    return ok;
  },

  DescribeRouteTables: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeRouteTables',
      kind: 'routeTable',
      idsParam: 'RouteTableId',
      all: [...world.state.routeTables.values()],
      fields: {
        'route-table-id': (t) => [t.routeTableId],
        'vpc-id': (t) => [t.vpcId],
        'owner-id': () => [world.accountId],
        'association.main': (t) => t.associations.map((a) => String(a.main)),
        'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
        'association.gateway-id': (t) => t.associations.map((a) => a.gatewayId),
        'association.route-table-association-id': (t) => t.associations.map((a) => a.associationId),
        'association.route-table-id': (t) => (t.associations.length ? [t.routeTableId] : []),
        'association.association-state': (t) => t.associations.map(() => 'associated'),
        'route.state': (t) => t.routes.map((r) => world.routeState(r, t)),
        'route.origin': (t) => t.routes.map((r) => r.origin),
        'route.destination-cidr-block': (t) =>
          t.routes.map((r) => (r.destination.kind === 'DestinationCidrBlock' ? r.destination.value : undefined)),
        'route.destination-ipv6-cidr-block': (t) =>
          t.routes.map((r) => (r.destination.kind === 'DestinationIpv6CidrBlock' ? r.destination.value : undefined)),
        'route.destination-prefix-list-id': (t) =>
          t.routes.map((r) => (r.destination.kind === 'DestinationPrefixListId' ? r.destination.value : undefined)),
        'route.gateway-id': (t) => t.routes.map((r) => r.gatewayId),
        'route.instance-id': (t) =>
          t.routes.map((r) => {
            const eni = r.networkInterfaceId ? world.state.networkInterfaces.get(r.networkInterfaceId) : undefined;
            return eni?.attachment?.instanceId ?? r.instanceId;
          }),
        'route.network-interface-id': (t) => t.routes.map((r) => r.networkInterfaceId),
        'route.transit-gateway-id': (t) => t.routes.map((r) => r.transitGatewayId),
        'route.vpc-peering-connection-id': (t) => t.routes.map((r) => r.vpcPeeringConnectionId),
      },
      page: { min: 5, max: 100 },
    });
    return { routeTableSet: items.map((t) => routeTableView(world, t)), nextToken };
  },

  AssociateRouteTable: (world, params) => {
    const table = world.get('routeTable', reqString(params, 'RouteTableId'));
    const subnetId = optString(params, 'SubnetId');
    const gatewayId = optString(params, 'GatewayId');
    if (!subnetId && !gatewayId)
      throw new AwsError('MissingParameter', 'Either subnetId or gatewayId must be specified');
    if (subnetId && gatewayId) {
      throw new AwsError(
        'InvalidParameterCombination',
        'The parameter subnetId cannot be used with the parameter gatewayId',
      );
    }
    if (subnetId) {
      const subnet = world.get('subnet', subnetId);
      if (subnet.vpcId !== table.vpcId) {
        throw new AwsError(
          'InvalidParameterValue',
          `route table ${table.routeTableId} and subnet ${subnetId} belong to different networks`,
        );
      }
    } else {
      const gateway = world.state.internetGateways.get(gatewayId!) ?? world.state.vpnGateways.get(gatewayId!);
      if (!gateway) throw new AwsError('InvalidGatewayID.NotFound', `The gateway ID '${gatewayId}' does not exist`);
    }
    const taken = [...world.state.routeTables.values()].some((t) =>
      t.associations.some((a) => (subnetId ? a.subnetId === subnetId : a.gatewayId === gatewayId)),
    );
    if (taken) {
      throw new AwsError(
        'Resource.AlreadyAssociated',
        `the specified association for route table ${table.routeTableId} conflicts with an existing association`,
      );
    }
    const associationId = world.ids.next('routeTableAssociation');
    table.associations.push({ associationId, main: false, ...(subnetId ? { subnetId } : { gatewayId: gatewayId! }) });
    return { associationId, associationState: { state: 'associated' } };
  },

  DisassociateRouteTable: (world, params) => {
    const associationId = reqString(params, 'AssociationId');
    for (const table of world.state.routeTables.values()) {
      const association = table.associations.find((a) => a.associationId === associationId);
      if (!association) continue;
      if (association.main) {
        throw new AwsError(
          'InvalidParameterValue',
          `cannot disassociate the main route table association ${associationId}`,
        );
      }
      table.associations = table.associations.filter((a) => a !== association);
      return ok;
    }
    throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
  },

  ReplaceRouteTableAssociation: (world, params) => {
    const associationId = reqString(params, 'AssociationId');
    const target = world.get('routeTable', reqString(params, 'RouteTableId'));
    for (const table of world.state.routeTables.values()) {
      const association = table.associations.find((a) => a.associationId === associationId);
      if (!association) continue;
      if (table.vpcId !== target.vpcId) {
        throw new AwsError(
          'InvalidParameterValue',
          `route table ${target.routeTableId} belongs to a different network`,
        );
      }
      table.associations = table.associations.filter((a) => a !== association);
      const newAssociationId = world.ids.next('routeTableAssociation');
      target.associations.push({ ...association, associationId: newAssociationId });
      return { newAssociationId, associationState: { state: 'associated' } };
    }
    throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
  },

  CreateRoute: (world, params) => {
    const table = world.get('routeTable', reqString(params, 'RouteTableId'));
    const destination = readDestination(world, params);
    const target = readTarget(world, table, params);
    if (table.routes.some((r) => sameDestination(r.destination, destination))) {
      throw new AwsError(
        'RouteAlreadyExists',
        `The route identified by ${describeDestination(destination)} already exists.`,
      );
    }
    table.routes.push({ destination, ...target, origin: 'CreateRoute' });
    return ok;
  },

  ReplaceRoute: (world, params) => {
    const table = world.get('routeTable', reqString(params, 'RouteTableId'));
    const destination = readDestination(world, params);
    const index = table.routes.findIndex((r) => sameDestination(r.destination, destination));
    if (index < 0) {
      throw new AwsError(
        'InvalidParameterValue',
        `There is no route defined for '${describeDestination(destination)}' in the route table. Use CreateRoute instead.`,
      );
    }
    const existing = table.routes[index]!;
    // AWS lets the local route's target be replaced by a middlebox ENI; not modelled here.
    if (existing.gatewayId === 'local') {
      throw new AwsError('InvalidParameterValue', `cannot replace local route ${describeDestination(destination)}`);
    }
    const target = readTarget(world, table, params);
    table.routes[index] = { destination, ...target, origin: existing.origin };
    return ok;
  },

  DeleteRoute: (world, params) => {
    const table = world.get('routeTable', reqString(params, 'RouteTableId'));
    const destination = readDestination(world, params);
    const route = table.routes.find((r) => sameDestination(r.destination, destination));
    const field = {
      DestinationCidrBlock: 'destination-cidr-block',
      DestinationIpv6CidrBlock: 'destination-ipv6-cidr-block',
      DestinationPrefixListId: 'destination-prefix-list-id',
    }[destination.kind];
    if (!route) {
      throw new AwsError(
        'InvalidRoute.NotFound',
        `no route with ${field} ${destination.value} in route table ${table.routeTableId}`,
      );
    }
    if (route.gatewayId === 'local') {
      throw new AwsError(
        'InvalidParameterValue',
        `cannot remove local route ${destination.value} in route table ${table.routeTableId}`,
      );
    }
    table.routes = table.routes.filter((r) => r !== route);
    return ok;
  },
};
