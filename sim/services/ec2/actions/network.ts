import { AwsError } from '../../../core/errors.js';
import { contains, overlaps, parseIpv4Cidr, requireIpv4Cidr, requireIpv6Cidr } from '../cidr.js';
import { describe, type Ec2Action, ok } from '../describe.js';
import type {
  GatewayAttachment,
  InternetGateway,
  PrefixList,
  Subnet,
  TransitGateway,
  Vpc,
  VpnGateway,
} from '../model.js';
import { missing, optBool, optInt, optString, reqString, structList, tagsFor } from '../params.js';
import {
  internetGatewayView,
  prefixListView,
  subnetView,
  transitGatewayView,
  vpcView,
  vpnGatewayView,
} from '../views.js';
import type { Ec2World } from '../world.js';

/** VPCs, subnets, gateways and prefix lists: the topology routes live in and point at. */

function createVpc(world: Ec2World, cidrBlock: string, ipv6: boolean, tags: Map<string, string>): Vpc {
  const cidr = requireIpv4Cidr(cidrBlock, 'cidrBlock');
  if (cidr.prefix < 16 || cidr.prefix > 28) {
    throw new AwsError('InvalidVpc.Range', `The CIDR '${cidrBlock}' is invalid.`);
  }
  const seq = world.ids.seq();
  const vpc: Vpc = {
    seq,
    vpcId: world.ids.next('vpc'),
    cidrBlock,
    cidrAssociationId: world.ids.next('vpcCidrAssociation'),
    ...(ipv6
      ? {
          ipv6CidrBlock: `2a05:d01c:${(seq % 0xffff).toString(16)}:${(0x100 * (seq % 0xff)).toString(16)}::/56`,
          ipv6AssociationId: world.ids.next('vpcCidrAssociation'),
        }
      : {}),
    tags,
  };
  world.state.vpcs.set(vpc.vpcId, vpc);
  // Every VPC comes with its main route table holding the local route(s).
  const routeTableId = world.ids.next('routeTable');
  world.state.routeTables.set(routeTableId, {
    seq: world.ids.seq(),
    routeTableId,
    vpcId: vpc.vpcId,
    routes: localRoutes(vpc),
    associations: [{ associationId: world.ids.next('routeTableAssociation'), main: true }],
    tags: new Map(),
  });
  return vpc;
}

export function localRoutes(vpc: Vpc) {
  return [
    {
      destination: { kind: 'DestinationCidrBlock' as const, value: vpc.cidrBlock },
      gatewayId: 'local',
      origin: 'CreateRouteTable' as const,
    },
    ...(vpc.ipv6CidrBlock
      ? [
          {
            destination: { kind: 'DestinationIpv6CidrBlock' as const, value: vpc.ipv6CidrBlock },
            gatewayId: 'local',
            origin: 'CreateRouteTable' as const,
          },
        ]
      : []),
  ];
}

function attachGateway(
  gateway: InternetGateway | VpnGateway,
  vpcId: string,
  world: Ec2World,
  kind: 'internet' | 'vpn',
): void {
  world.get('vpc', vpcId);
  // A detached VGW attachment stays listed until the gateway is attached again.
  gateway.attachments = gateway.attachments.filter((a) => a.state !== 'detached');
  if (gateway.attachments.length > 0) {
    const id = 'internetGatewayId' in gateway ? gateway.internetGatewayId : gateway.vpnGatewayId;
    throw new AwsError(
      'Resource.AlreadyAssociated',
      `resource ${id} is already attached to network ${gateway.attachments[0]!.vpcId}`,
    );
  }
  const taken = [...world.state.internetGateways.values(), ...world.state.vpnGateways.values()].some(
    (g) =>
      g !== gateway &&
      'internetGatewayId' in g === (kind === 'internet') &&
      g.attachments.some((a) => a.vpcId === vpcId && a.state !== 'detached'),
  );
  if (taken) {
    throw new AwsError(
      kind === 'internet' ? 'Resource.AlreadyAssociated' : 'VpnGatewayAttachmentLimitExceeded',
      `Network ${vpcId} already has a${kind === 'internet' ? 'n internet' : ' virtual private'} gateway attached`,
    );
  }
  // An internet gateway is attached at once; a VGW passes through `attaching` (AttachVpnGateway's answer).
  const attachment: GatewayAttachment = { vpcId, state: kind === 'internet' ? 'attached' : 'attaching' };
  gateway.attachments.push(attachment);
  if (kind === 'vpn') {
    world.later(world.networkDelays.vpnGateway, () => {
      if (attachment.state === 'attaching') attachment.state = 'attached';
    });
  }
}

export const networkActions: Record<string, Ec2Action> = {
  CreateVpc: (world, params) => {
    const vpc = createVpc(
      world,
      reqString(params, 'CidrBlock'),
      optBool(params, 'AmazonProvidedIpv6CidrBlock') ?? false,
      tagsFor(params, 'vpc'),
    );
    return { vpc: vpcView(world, vpc) };
  },

  DescribeVpcs: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeVpcs',
      kind: 'vpc',
      idsParam: 'VpcId',
      all: [...world.state.vpcs.values()],
      fields: {
        'vpc-id': (v) => [v.vpcId],
        'cidr-block': (v) => [v.cidrBlock],
        cidr: (v) => [v.cidrBlock],
        'cidr-block-association.cidr-block': (v) => [v.cidrBlock],
        'ipv6-cidr-block-association.ipv6-cidr-block': (v) => [v.ipv6CidrBlock],
        'is-default': () => ['false'],
        'owner-id': () => [world.accountId],
        state: () => ['available'],
      },
      page: { min: 5, max: 1000 },
    });
    return { vpcSet: items.map((v) => vpcView(world, v)), nextToken };
  },

  CreateSubnet: (world, params, ctx) => {
    const vpc = world.get('vpc', reqString(params, 'VpcId'));
    const cidrBlock = reqString(params, 'CidrBlock');
    const cidr = requireIpv4Cidr(cidrBlock, 'cidrBlock');
    if (!contains(parseIpv4Cidr(vpc.cidrBlock)!, cidr) || cidr.prefix > 28) {
      throw new AwsError('InvalidSubnet.Range', `The CIDR '${cidrBlock}' is invalid.`);
    }
    const clash = [...world.state.subnets.values()].some(
      (s) => s.vpcId === vpc.vpcId && overlaps(parseIpv4Cidr(s.cidrBlock)!, cidr),
    );
    if (clash) throw new AwsError('InvalidSubnet.Conflict', `The CIDR '${cidrBlock}' conflicts with another subnet`);
    const ipv6 = optString(params, 'Ipv6CidrBlock');
    const availabilityZone = optString(params, 'AvailabilityZone') ?? `${ctx.region}a`;
    if (!availabilityZone.startsWith(ctx.region) || !/^[a-z]$/.test(availabilityZone.slice(ctx.region.length))) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${availabilityZone}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${ctx.region}a, ${ctx.region}b, ${ctx.region}c.`,
      );
    }
    const subnet: Subnet = {
      seq: world.ids.seq(),
      subnetId: world.ids.next('subnet'),
      vpcId: vpc.vpcId,
      cidrBlock,
      availabilityZone,
      ...(ipv6
        ? {
            ipv6CidrBlock: requireIpv6Cidr(ipv6, 'ipv6CidrBlock'),
            ipv6AssociationId: world.ids.next('subnetCidrAssociation'),
          }
        : {}),
      nextHost: 4,
      tags: tagsFor(params, 'subnet'),
    };
    world.state.subnets.set(subnet.subnetId, subnet);
    return { subnet: subnetView(world, subnet) };
  },

  DescribeSubnets: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeSubnets',
      kind: 'subnet',
      idsParam: 'SubnetId',
      all: [...world.state.subnets.values()],
      fields: {
        'subnet-id': (s) => [s.subnetId],
        'vpc-id': (s) => [s.vpcId],
        'cidr-block': (s) => [s.cidrBlock],
        'availability-zone': (s) => [s.availabilityZone],
        'ipv6-cidr-block-association.ipv6-cidr-block': (s) => [s.ipv6CidrBlock],
        'owner-id': () => [world.accountId],
        state: () => ['available'],
      },
      page: { min: 5, max: 1000 },
    });
    return { subnetSet: items.map((s) => subnetView(world, s)), nextToken };
  },

  CreateInternetGateway: (world, params) => {
    const igw: InternetGateway = {
      seq: world.ids.seq(),
      internetGatewayId: world.ids.next('internetGateway'),
      attachments: [],
      tags: tagsFor(params, 'internet-gateway'),
    };
    world.state.internetGateways.set(igw.internetGatewayId, igw);
    return { internetGateway: internetGatewayView(world, igw) };
  },

  AttachInternetGateway: (world, params) => {
    const igw = world.get('internetGateway', reqString(params, 'InternetGatewayId'));
    attachGateway(igw, reqString(params, 'VpcId'), world, 'internet');
    return ok;
  },

  DescribeInternetGateways: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeInternetGateways',
      kind: 'internetGateway',
      idsParam: 'InternetGatewayId',
      all: [...world.state.internetGateways.values()],
      fields: {
        'internet-gateway-id': (g) => [g.internetGatewayId],
        'attachment.vpc-id': (g) => g.attachments.map((a) => a.vpcId),
        'attachment.state': (g) => g.attachments.map(() => 'available'),
        'owner-id': () => [world.accountId],
      },
      page: { min: 5, max: 1000 },
    });
    return { internetGatewaySet: items.map((g) => internetGatewayView(world, g)), nextToken };
  },

  CreateVpnGateway: (world, params) => {
    const type = reqString(params, 'Type');
    if (type !== 'ipsec.1')
      throw new AwsError('InvalidParameterValue', `Value (${type}) for parameter type is invalid.`);
    const vgw: VpnGateway = {
      seq: world.ids.seq(),
      vpnGatewayId: world.ids.next('vpnGateway'),
      type,
      amazonSideAsn: optInt(params, 'AmazonSideAsn') ?? 64512,
      attachments: [],
      tags: tagsFor(params, 'vpn-gateway'),
    };
    world.state.vpnGateways.set(vgw.vpnGatewayId, vgw);
    return { vpnGateway: vpnGatewayView(vgw) };
  },

  AttachVpnGateway: (world, params) => {
    const vgw = world.get('vpnGateway', reqString(params, 'VpnGatewayId'));
    const vpcId = reqString(params, 'VpcId');
    attachGateway(vgw, vpcId, world, 'vpn');
    return { attachment: { vpcId, state: 'attaching' } };
  },

  DescribeVpnGateways: (world, params) => {
    const { items } = describe(world, params, {
      action: 'DescribeVpnGateways',
      kind: 'vpnGateway',
      idsParam: 'VpnGatewayId',
      all: [...world.state.vpnGateways.values()],
      fields: {
        'vpn-gateway-id': (g) => [g.vpnGatewayId],
        'attachment.vpc-id': (g) => g.attachments.map((a) => a.vpcId),
        'attachment.state': (g) => g.attachments.map((a) => a.state),
        state: () => ['available'],
        type: (g) => [g.type],
      },
    });
    return { vpnGatewaySet: items.map(vpnGatewayView) };
  },

  // Minimal: a transit gateway that is at once `available`. Real routes to a TGW also need a VPC attachment.
  CreateTransitGateway: (world, params, ctx) => {
    const options =
      params.Options && typeof params.Options === 'object' ? (params.Options as Record<string, unknown>) : {};
    const tgw: TransitGateway = {
      seq: world.ids.seq(),
      transitGatewayId: world.ids.next('transitGateway'),
      ...(optString(params, 'Description') !== undefined ? { description: optString(params, 'Description')! } : {}),
      amazonSideAsn: optInt(options, 'AmazonSideAsn') ?? 64512,
      createdAt: ctx.clock.iso(),
      tags: tagsFor(params, 'transit-gateway'),
    };
    world.state.transitGateways.set(tgw.transitGatewayId, tgw);
    return { transitGateway: transitGatewayView(world, tgw) };
  },

  DescribeTransitGateways: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeTransitGateways',
      kind: 'transitGateway',
      idsParam: 'TransitGatewayIds',
      all: [...world.state.transitGateways.values()],
      fields: {
        'transit-gateway-id': (t) => [t.transitGatewayId],
        state: () => ['available'],
        'owner-id': () => [world.accountId],
      },
      page: { min: 5, max: 1000 },
    });
    return { transitGatewaySet: items.map((t) => transitGatewayView(world, t)), nextToken };
  },

  CreateManagedPrefixList: (world, params) => {
    const prefixListName = reqString(params, 'PrefixListName');
    const maxEntries = optInt(params, 'MaxEntries');
    if (maxEntries === undefined) throw missing('MaxEntries');
    const addressFamily = reqString(params, 'AddressFamily');
    if (addressFamily !== 'IPv4' && addressFamily !== 'IPv6') {
      throw new AwsError('InvalidParameterValue', `Value (${addressFamily}) for parameter addressFamily is invalid.`);
    }
    if (maxEntries < 1 || maxEntries > 1000) {
      throw new AwsError('InvalidParameterValue', `Value (${maxEntries}) for parameter maxEntries is invalid.`);
    }
    const entries = structList(params, 'Entry').map((entry) => {
      const cidr = reqString(entry, 'Cidr');
      if (addressFamily === 'IPv4') requireIpv4Cidr(cidr, 'cidr');
      else requireIpv6Cidr(cidr, 'cidr');
      const description = optString(entry, 'Description');
      return description === undefined ? { cidr } : { cidr, description };
    });
    if (entries.length > maxEntries) {
      throw new AwsError('InvalidParameterValue', `The number of entries exceeds the maximum entries (${maxEntries}).`);
    }
    const list: PrefixList = {
      seq: world.ids.seq(),
      prefixListId: world.ids.next('prefixList'),
      prefixListName,
      addressFamily,
      maxEntries,
      entries,
      tags: tagsFor(params, 'prefix-list'),
    };
    world.state.prefixLists.set(list.prefixListId, list);
    return { prefixList: prefixListView(world, list) };
  },

  DescribeManagedPrefixLists: (world, params) => {
    const { items, nextToken } = describe(world, params, {
      action: 'DescribeManagedPrefixLists',
      kind: 'prefixList',
      idsParam: 'PrefixListId',
      all: [...world.state.prefixLists.values()],
      fields: {
        'prefix-list-id': (p) => [p.prefixListId],
        'prefix-list-name': (p) => [p.prefixListName],
        'owner-id': () => [world.accountId],
      },
      page: { min: 1, max: 100 },
    });
    return { prefixListSet: items.map((p) => prefixListView(world, p)), nextToken };
  },

  GetManagedPrefixListEntries: (world, params) => {
    const list = world.get('prefixList', reqString(params, 'PrefixListId'));
    return { entrySet: list.entries };
  },
};
