import type { SecurityGroup } from './actions/security-groups.js';

/** The simulated EC2 world: plain records, one map per resource kind, in creation order. */

export type Tags = Map<string, string>;

interface Resource {
  /** Creation order; pagination tokens point into it. */
  seq: number;
  tags: Tags;
}

export interface Vpc extends Resource {
  vpcId: string;
  cidrBlock: string;
  cidrAssociationId: string;
  ipv6CidrBlock?: string;
  ipv6AssociationId?: string;
}

export interface Subnet extends Resource {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  ipv6CidrBlock?: string;
  ipv6AssociationId?: string;
  /** Next host number to hand out (AWS reserves the first four addresses). */
  nextHost: number;
}

export interface GatewayAttachment {
  vpcId: string;
  /** Internet gateways are only ever `attached`; a VGW attachment passes through `detaching` to `detached`. */
  state: 'attaching' | 'attached' | 'detaching' | 'detached';
}

export interface InternetGateway extends Resource {
  internetGatewayId: string;
  attachments: GatewayAttachment[];
}

export interface VpnGateway extends Resource {
  vpnGatewayId: string;
  type: string;
  amazonSideAsn: number;
  attachments: GatewayAttachment[];
}

export interface TransitGateway extends Resource {
  transitGatewayId: string;
  description?: string;
  amazonSideAsn: number;
  createdAt: string;
}

/** TransitGatewayVpcAttachment.state values (EC2 API reference). */
export type TransitGatewayAttachmentState =
  | 'initiating'
  | 'initiatingRequest'
  | 'pendingAcceptance'
  | 'rollingBack'
  | 'pending'
  | 'available'
  | 'modifying'
  | 'deleting'
  | 'deleted'
  | 'failed'
  | 'rejected'
  | 'rejecting'
  | 'failing';

export interface TransitGatewayVpcAttachment extends Resource {
  transitGatewayAttachmentId: string;
  transitGatewayId: string;
  vpcId: string;
  subnetIds: string[];
  state: TransitGatewayAttachmentState;
  createdAt: string;
  /** Simulated ms when it reached `deleted` (kept visible for a while, as EC2 does). */
  deletedAt?: number;
}

/** VpcPeeringConnectionStateReason.code values (EC2 API reference). */
export type PeeringState =
  | 'initiating-request'
  | 'pending-acceptance'
  | 'active'
  | 'deleted'
  | 'rejected'
  | 'failed'
  | 'expired'
  | 'provisioning'
  | 'deleting';

export interface VpcPeeringConnection extends Resource {
  vpcPeeringConnectionId: string;
  requesterVpcId: string;
  accepterVpcId: string;
  accepterOwnerId: string;
  state: PeeringState;
  /** Simulated ms of the last move to `deleted`, `rejected` or `expired` (kept visible for a while). */
  endedAt?: number;
}

export interface PrefixList extends Resource {
  prefixListId: string;
  prefixListName: string;
  addressFamily: 'IPv4' | 'IPv6';
  maxEntries: number;
  entries: { cidr: string; description?: string }[];
}

export type RouteDestination =
  | { kind: 'DestinationCidrBlock'; value: string }
  | { kind: 'DestinationIpv6CidrBlock'; value: string }
  | { kind: 'DestinationPrefixListId'; value: string };

export interface Route {
  destination: RouteDestination;
  /** `local`, igw-..., vgw-... */
  gatewayId?: string;
  instanceId?: string;
  networkInterfaceId?: string;
  transitGatewayId?: string;
  vpcPeeringConnectionId?: string;
  origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTableAssociation {
  associationId: string;
  main: boolean;
  subnetId?: string;
  gatewayId?: string;
}

export interface RouteTable extends Resource {
  routeTableId: string;
  vpcId: string;
  routes: Route[];
  associations: RouteTableAssociation[];
}

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export const INSTANCE_STATE_CODE: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface Instance extends Resource {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  launchTime: string;
  launchIndex: number;
  state: InstanceStateName;
  stateReason?: { code: string; message: string };
  stateTransitionReason: string;
  terminatedAt?: number;
  /** Status checks a scenario has failed on purpose. */
  impaired: { system: boolean; instance: boolean };
  /** Cancels the pending simulated state transition. */
  cancelTransition?: () => void;
}

export interface NetworkInterfaceAttachment {
  attachmentId: string;
  instanceId: string;
  deviceIndex: number;
  status: 'attaching' | 'attached' | 'detaching' | 'detached';
  attachTime: string;
  deleteOnTermination: boolean;
}

export interface NetworkInterface extends Resource {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  description: string;
  privateIpAddress: string;
  macAddress: string;
  sourceDestCheck: boolean;
  groupIds: string[];
  attachment?: NetworkInterfaceAttachment;
}

export interface Address extends Resource {
  allocationId: string;
  publicIp: string;
  association?: { associationId: string; networkInterfaceId: string; privateIpAddress: string };
}

/** Every map of the world, so actions and views share one definition. */
export class Ec2State {
  vpcs = new Map<string, Vpc>();
  subnets = new Map<string, Subnet>();
  internetGateways = new Map<string, InternetGateway>();
  vpnGateways = new Map<string, VpnGateway>();
  transitGateways = new Map<string, TransitGateway>();
  transitGatewayVpcAttachments = new Map<string, TransitGatewayVpcAttachment>();
  vpcPeeringConnections = new Map<string, VpcPeeringConnection>();
  prefixLists = new Map<string, PrefixList>();
  routeTables = new Map<string, RouteTable>();
  instances = new Map<string, Instance>();
  networkInterfaces = new Map<string, NetworkInterface>();
  addresses = new Map<string, Address>();
  securityGroups = new Map<string, SecurityGroup>();
  /** Public IPs handed out so far, for deterministic allocation. */
  publicIpCounter = 0;
}
