import {
  type Address,
  INSTANCE_STATE_CODE,
  type Instance,
  type InstanceStateName,
  type InternetGateway,
  type NetworkInterface,
  type PrefixList,
  type Route,
  type RouteTable,
  type Subnet,
  type Tags,
  type TransitGateway,
  type TransitGatewayVpcAttachment,
  type Vpc,
  type VpcPeeringConnection,
  type VpnGateway,
} from './model.js';
import type { Ec2World } from './world.js';

/** Resources in EC2's wire naming (lowerCamelCase elements, lists as `xxxSet`), as the SDK parses them. */

export function tagSet(tags: Tags): { key: string; value: string }[] {
  return [...tags].map(([key, value]) => ({ key, value }));
}

function optionalTagSet(tags: Tags): { key: string; value: string }[] | undefined {
  return tags.size ? tagSet(tags) : undefined;
}

export function stateView(state: InstanceStateName): { code: number; name: InstanceStateName } {
  return { code: INSTANCE_STATE_CODE[state], name: state };
}

export function vpcView(world: Ec2World, vpc: Vpc) {
  return {
    vpcId: vpc.vpcId,
    ownerId: world.accountId,
    state: 'available',
    cidrBlock: vpc.cidrBlock,
    cidrBlockAssociationSet: [
      { associationId: vpc.cidrAssociationId, cidrBlock: vpc.cidrBlock, cidrBlockState: { state: 'associated' } },
    ],
    ipv6CidrBlockAssociationSet: vpc.ipv6CidrBlock
      ? [
          {
            associationId: vpc.ipv6AssociationId,
            ipv6CidrBlock: vpc.ipv6CidrBlock,
            ipv6CidrBlockState: { state: 'associated' },
            networkBorderGroup: world.region,
            ipv6Pool: 'Amazon',
          },
        ]
      : undefined,
    dhcpOptionsId: 'default',
    instanceTenancy: 'default',
    isDefault: false,
    tagSet: optionalTagSet(vpc.tags),
  };
}

export function subnetView(world: Ec2World, subnet: Subnet) {
  const used = [...world.state.networkInterfaces.values()].filter((e) => e.subnetId === subnet.subnetId).length;
  const prefix = Number(subnet.cidrBlock.split('/')[1]);
  return {
    subnetId: subnet.subnetId,
    subnetArn: `arn:aws:ec2:${world.region}:${world.accountId}:subnet/${subnet.subnetId}`,
    state: 'available',
    vpcId: subnet.vpcId,
    ownerId: world.accountId,
    cidrBlock: subnet.cidrBlock,
    ipv6CidrBlockAssociationSet: subnet.ipv6CidrBlock
      ? [
          {
            associationId: subnet.ipv6AssociationId,
            ipv6CidrBlock: subnet.ipv6CidrBlock,
            ipv6CidrBlockState: { state: 'associated' },
          },
        ]
      : undefined,
    availableIpAddressCount: 2 ** (32 - prefix) - 5 - used,
    availabilityZone: subnet.availabilityZone,
    availabilityZoneId: `euw2-az${subnet.availabilityZone.charCodeAt(subnet.availabilityZone.length - 1) - 96}`,
    defaultForAz: false,
    mapPublicIpOnLaunch: false,
    assignIpv6AddressOnCreation: false,
    tagSet: optionalTagSet(subnet.tags),
  };
}

export function internetGatewayView(world: Ec2World, igw: InternetGateway) {
  return {
    internetGatewayId: igw.internetGatewayId,
    ownerId: world.accountId,
    attachmentSet: igw.attachments.map((a) => ({ vpcId: a.vpcId, state: 'available' })),
    tagSet: optionalTagSet(igw.tags),
  };
}

export function vpnGatewayView(vgw: VpnGateway) {
  return {
    vpnGatewayId: vgw.vpnGatewayId,
    state: 'available',
    type: vgw.type,
    amazonSideAsn: vgw.amazonSideAsn,
    attachments: vgw.attachments.map((a) => ({ vpcId: a.vpcId, state: a.state })),
    tagSet: optionalTagSet(vgw.tags),
  };
}

export function transitGatewayView(world: Ec2World, tgw: TransitGateway) {
  return {
    transitGatewayId: tgw.transitGatewayId,
    transitGatewayArn: `arn:aws:ec2:${world.region}:${world.accountId}:transit-gateway/${tgw.transitGatewayId}`,
    state: 'available',
    ownerId: world.accountId,
    description: tgw.description,
    creationTime: tgw.createdAt,
    options: { amazonSideAsn: tgw.amazonSideAsn },
    tagSet: optionalTagSet(tgw.tags),
  };
}

export function transitGatewayVpcAttachmentView(world: Ec2World, attachment: TransitGatewayVpcAttachment) {
  return {
    transitGatewayAttachmentId: attachment.transitGatewayAttachmentId,
    transitGatewayId: attachment.transitGatewayId,
    vpcId: attachment.vpcId,
    vpcOwnerId: world.accountId,
    state: attachment.state,
    subnetIds: attachment.subnetIds,
    creationTime: attachment.createdAt,
    options: { dnsSupport: 'enable', ipv6Support: 'disable', applianceModeSupport: 'disable' },
    tagSet: optionalTagSet(attachment.tags),
  };
}

const PEERING_MESSAGES: Record<string, string> = {
  'initiating-request': 'Initiating Request to ',
  'pending-acceptance': 'Pending Acceptance by ',
  provisioning: 'Provisioning',
  active: 'Active',
  deleting: 'Deleting',
  deleted: 'Deleted',
  rejected: 'Rejected',
};

export function vpcPeeringConnectionView(world: Ec2World, pcx: VpcPeeringConnection) {
  const vpcInfo = (vpcId: string, ownerId: string) => {
    const vpc = world.state.vpcs.get(vpcId);
    return { vpcId, ownerId, region: world.region, ...(vpc ? { cidrBlock: vpc.cidrBlock } : {}) };
  };
  const message = PEERING_MESSAGES[pcx.state] ?? pcx.state;
  return {
    vpcPeeringConnectionId: pcx.vpcPeeringConnectionId,
    requesterVpcInfo: vpcInfo(pcx.requesterVpcId, world.accountId),
    accepterVpcInfo: vpcInfo(pcx.accepterVpcId, pcx.accepterOwnerId),
    status: {
      code: pcx.state,
      message: message.endsWith(' ') ? `${message}${pcx.accepterOwnerId}` : message,
    },
    tagSet: optionalTagSet(pcx.tags),
  };
}

export function prefixListView(world: Ec2World, list: PrefixList) {
  return {
    prefixListId: list.prefixListId,
    addressFamily: list.addressFamily,
    state: 'create-complete',
    prefixListArn: `arn:aws:ec2:${world.region}:${world.accountId}:prefix-list/${list.prefixListId}`,
    prefixListName: list.prefixListName,
    maxEntries: list.maxEntries,
    version: 1,
    ownerId: world.accountId,
    tagSet: optionalTagSet(list.tags),
  };
}

/**
 * A route as DescribeRouteTables shows it. A route to an ENI names the instance the ENI is attached
 * to; once the target is gone the route keeps the ids it had and turns `blackhole`.
 */
export function routeView(world: Ec2World, route: Route, table: RouteTable) {
  const eni = route.networkInterfaceId ? world.state.networkInterfaces.get(route.networkInterfaceId) : undefined;
  const instanceId = eni?.attachment?.instanceId ?? route.instanceId;
  return {
    destinationCidrBlock: route.destination.kind === 'DestinationCidrBlock' ? route.destination.value : undefined,
    destinationIpv6CidrBlock:
      route.destination.kind === 'DestinationIpv6CidrBlock' ? route.destination.value : undefined,
    destinationPrefixListId: route.destination.kind === 'DestinationPrefixListId' ? route.destination.value : undefined,
    gatewayId: route.gatewayId,
    instanceId,
    instanceOwnerId: instanceId ? world.accountId : undefined,
    networkInterfaceId: route.networkInterfaceId,
    transitGatewayId: route.transitGatewayId,
    vpcPeeringConnectionId: route.vpcPeeringConnectionId,
    origin: route.origin,
    state: world.routeState(route, table),
  };
}

export function routeTableView(world: Ec2World, table: RouteTable) {
  return {
    routeTableId: table.routeTableId,
    vpcId: table.vpcId,
    ownerId: world.accountId,
    routeSet: table.routes.map((r) => routeView(world, r, table)),
    associationSet: table.associations.map((a) => ({
      routeTableAssociationId: a.associationId,
      routeTableId: table.routeTableId,
      subnetId: a.subnetId,
      gatewayId: a.gatewayId,
      main: a.main,
      associationState: { state: 'associated' },
    })),
    propagatingVgwSet: [],
    tagSet: optionalTagSet(table.tags),
  };
}

function attachmentView(world: Ec2World, eni: NetworkInterface) {
  const a = eni.attachment;
  if (!a) return undefined;
  return {
    attachmentId: a.attachmentId,
    instanceId: a.instanceId,
    instanceOwnerId: world.accountId,
    deviceIndex: a.deviceIndex,
    networkCardIndex: 0,
    status: a.status,
    attachTime: a.attachTime,
    deleteOnTermination: a.deleteOnTermination,
  };
}

function eniAssociationView(world: Ec2World, eni: NetworkInterface) {
  const address = world.addressOn(eni);
  if (!address?.association) return undefined;
  return {
    publicIp: address.publicIp,
    publicDnsName: publicDnsName(world, address.publicIp),
    ipOwnerId: world.accountId,
    allocationId: address.allocationId,
    associationId: address.association.associationId,
  };
}

function publicDnsName(world: Ec2World, ip: string): string {
  return `ec2-${ip.replaceAll('.', '-')}.${world.region}.compute.amazonaws.com`;
}

function privateDnsName(world: Ec2World, ip: string): string {
  return `ip-${ip.replaceAll('.', '-')}.${world.region}.compute.internal`;
}

export function networkInterfaceView(world: Ec2World, eni: NetworkInterface) {
  const association = eniAssociationView(world, eni);
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    description: eni.description,
    ownerId: world.accountId,
    requesterManaged: false,
    status: eni.attachment ? 'in-use' : 'available',
    macAddress: eni.macAddress,
    privateIpAddress: eni.privateIpAddress,
    privateDnsName: privateDnsName(world, eni.privateIpAddress),
    sourceDestCheck: eni.sourceDestCheck,
    groupSet: eni.groupIds.map((groupId) => ({
      groupId,
      groupName: groupId === eni.groupIds[0] ? 'default' : groupId,
    })),
    attachment: attachmentView(world, eni),
    association,
    tagSet: tagSet(eni.tags),
    privateIpAddressesSet: [
      {
        privateIpAddress: eni.privateIpAddress,
        privateDnsName: privateDnsName(world, eni.privateIpAddress),
        primary: true,
        association,
      },
    ],
    ipv6AddressesSet: [],
    interfaceType: 'interface',
  };
}

/** An ENI as DescribeInstances nests it: no availabilityZone or tags, attachment without instanceId. */
function instanceInterfaceView(world: Ec2World, eni: NetworkInterface) {
  const full = networkInterfaceView(world, eni);
  const a = eni.attachment!;
  return {
    networkInterfaceId: full.networkInterfaceId,
    subnetId: full.subnetId,
    vpcId: full.vpcId,
    description: full.description,
    ownerId: full.ownerId,
    status: full.status,
    macAddress: full.macAddress,
    privateIpAddress: full.privateIpAddress,
    privateDnsName: full.privateDnsName,
    sourceDestCheck: full.sourceDestCheck,
    groupSet: full.groupSet,
    attachment: {
      attachmentId: a.attachmentId,
      deviceIndex: a.deviceIndex,
      networkCardIndex: 0,
      status: a.status,
      attachTime: a.attachTime,
      deleteOnTermination: a.deleteOnTermination,
    },
    association: full.association,
    privateIpAddressesSet: full.privateIpAddressesSet,
    ipv6AddressesSet: [],
    interfaceType: 'interface',
  };
}

export function instanceView(world: Ec2World, instance: Instance) {
  const interfaces = world.interfacesOf(instance);
  const primary = interfaces.find((e) => e.attachment?.deviceIndex === 0);
  const address = primary ? world.addressOn(primary) : undefined;
  const gone = instance.state === 'terminated';
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: stateView(instance.state),
    privateDnsName: primary ? privateDnsName(world, primary.privateIpAddress) : '',
    dnsName: address ? publicDnsName(world, address.publicIp) : '',
    reason: instance.stateTransitionReason,
    amiLaunchIndex: instance.launchIndex,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: gone ? undefined : instance.subnetId,
    vpcId: gone ? undefined : instance.vpcId,
    privateIpAddress: primary?.privateIpAddress,
    ipAddress: address?.publicIp,
    sourceDestCheck: primary?.sourceDestCheck,
    groupSet: (primary?.groupIds ?? []).map((groupId) => ({ groupId, groupName: 'default' })),
    stateReason: instance.stateReason,
    architecture: 'arm64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    clientToken: '',
    tagSet: optionalTagSet(instance.tags),
    hypervisor: 'xen',
    networkInterfaceSet: interfaces.map((e) => instanceInterfaceView(world, e)),
    ebsOptimized: false,
    platformDetails: 'Linux/UNIX',
  };
}

export function addressView(world: Ec2World, address: Address) {
  const eni = address.association
    ? world.state.networkInterfaces.get(address.association.networkInterfaceId)
    : undefined;
  return {
    publicIp: address.publicIp,
    allocationId: address.allocationId,
    domain: 'vpc',
    instanceId: eni?.attachment?.instanceId,
    associationId: address.association?.associationId,
    networkInterfaceId: address.association?.networkInterfaceId,
    networkInterfaceOwnerId: address.association ? world.accountId : undefined,
    privateIpAddress: address.association?.privateIpAddress,
    publicIpv4Pool: 'amazon',
    networkBorderGroup: world.region,
    tagSet: optionalTagSet(address.tags),
  };
}
