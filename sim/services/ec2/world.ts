import { SimClock } from '../../core/clock.js';
import { AwsError } from '../../core/errors.js';
import { containsAddress, formatIpv4, parseIpv4, parseIpv4Cidr, size } from './cidr.js';
import { ID_PREFIX, IdFactory } from './ids.js';
import {
  type Address,
  Ec2State,
  type Instance,
  type InstanceStateName,
  type NetworkInterface,
  type Route,
  type RouteTable,
  type Subnet,
  type Tags,
} from './model.js';

/** Simulated delays of the instance state machine, in simulated ms. */
export interface TransitionDelays {
  /** pending -> running */
  pending: number;
  /** stopping -> stopped */
  stopping: number;
  /** shutting-down -> terminated */
  shuttingDown: number;
}

/** Roughly what EC2 takes for a small Linux instance; tests advance the sim clock past them. */
export const DEFAULT_TRANSITION_DELAYS: TransitionDelays = { pending: 10_000, stopping: 30_000, shuttingDown: 30_000 };

/**
 * Simulated delays of network resources, in simulated ms. AWS documents the states, not their durations; these
 * are round figures of what Transit Gateway attachments and peering connections are commonly seen to take.
 */
export interface NetworkDelays {
  /** Transit Gateway VPC attachment pending -> available, and deleting -> deleted. */
  transitGatewayAttachment: number;
  /** VGW attaching -> attached, and detaching -> detached. */
  vpnGateway: number;
  /** Peering connection provisioning -> active, and deleting -> deleted. */
  peering: number;
}

export const DEFAULT_NETWORK_DELAYS: NetworkDelays = {
  transitGatewayAttachment: 60_000,
  vpnGateway: 10_000,
  peering: 5_000,
};

/** How long deleted attachments and ended peering connections stay visible (unclear in AWS's docs: an hour here). */
export const ENDED_VISIBLE_MS = 60 * 60 * 1000;

/** EC2 keeps terminated instances visible in DescribeInstances for about an hour. */
const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;

export interface InstanceStateChange {
  instanceId: string;
  state: InstanceStateName;
  previousState: InstanceStateName;
  time: string;
}

interface Lookup {
  map: (s: Ec2State) => Map<string, unknown>;
  prefix: string;
  notFound: string;
  noun: string;
  malformed?: string;
}

/** Error codes per resource kind, as the EC2 error reference names them. */
const LOOKUPS = {
  vpc: { map: (s) => s.vpcs, prefix: ID_PREFIX.vpc, notFound: 'InvalidVpcID.NotFound', noun: 'vpc' },
  subnet: { map: (s) => s.subnets, prefix: ID_PREFIX.subnet, notFound: 'InvalidSubnetID.NotFound', noun: 'subnet' },
  internetGateway: {
    map: (s) => s.internetGateways,
    prefix: ID_PREFIX.internetGateway,
    notFound: 'InvalidInternetGatewayID.NotFound',
    noun: 'internetGateway',
  },
  vpnGateway: {
    map: (s) => s.vpnGateways,
    prefix: ID_PREFIX.vpnGateway,
    notFound: 'InvalidVpnGatewayID.NotFound',
    noun: 'vpnGateway',
  },
  transitGateway: {
    map: (s) => s.transitGateways,
    prefix: ID_PREFIX.transitGateway,
    notFound: 'InvalidTransitGatewayID.NotFound',
    noun: 'transitGateway',
  },
  transitGatewayAttachment: {
    map: (s) => s.transitGatewayVpcAttachments,
    prefix: ID_PREFIX.transitGatewayAttachment,
    notFound: 'InvalidTransitGatewayAttachmentID.NotFound',
    noun: 'transitGatewayAttachment',
  },
  vpcPeeringConnection: {
    map: (s) => s.vpcPeeringConnections,
    prefix: ID_PREFIX.vpcPeeringConnection,
    notFound: 'InvalidVpcPeeringConnectionID.NotFound',
    noun: 'vpcPeeringConnection',
  },
  prefixList: {
    map: (s) => s.prefixLists,
    prefix: ID_PREFIX.prefixList,
    notFound: 'InvalidPrefixListID.NotFound',
    noun: 'prefixList',
  },
  routeTable: {
    map: (s) => s.routeTables,
    prefix: ID_PREFIX.routeTable,
    notFound: 'InvalidRouteTableID.NotFound',
    noun: 'routeTable',
    malformed: 'InvalidRouteTableId.Malformed',
  },
  instance: {
    map: (s) => s.instances,
    prefix: ID_PREFIX.instance,
    notFound: 'InvalidInstanceID.NotFound',
    noun: 'instance',
    malformed: 'InvalidInstanceID.Malformed',
  },
  networkInterface: {
    map: (s) => s.networkInterfaces,
    prefix: ID_PREFIX.networkInterface,
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    noun: 'networkInterface',
    malformed: 'InvalidNetworkInterfaceId.Malformed',
  },
  address: {
    map: (s) => s.addresses,
    prefix: ID_PREFIX.allocation,
    notFound: 'InvalidAllocationID.NotFound',
    noun: 'allocation',
  },
} satisfies Record<string, Lookup>;

export type LookupKind = keyof typeof LOOKUPS;

type ResourceOf<K extends LookupKind> = ReturnType<(typeof LOOKUPS)[K]['map']> extends Map<string, infer R> ? R : never;

/** Resource types as DescribeTags and TagSpecification name them, by id prefix. */
const RESOURCE_TYPES: [LookupKind, string][] = [
  ['vpc', 'vpc'],
  ['subnet', 'subnet'],
  ['internetGateway', 'internet-gateway'],
  ['vpnGateway', 'vpn-gateway'],
  // Before transit-gateway: `tgw-attach-` ids also start with `tgw-`.
  ['transitGatewayAttachment', 'transit-gateway-attachment'],
  ['transitGateway', 'transit-gateway'],
  ['vpcPeeringConnection', 'vpc-peering-connection'],
  ['prefixList', 'prefix-list'],
  ['routeTable', 'route-table'],
  ['instance', 'instance'],
  ['networkInterface', 'network-interface'],
  ['address', 'elastic-ip'],
];

/**
 * The EC2 world and the rules that tie its resources together (route state, instance lifecycle,
 * ENI and address bookkeeping). Actions validate requests and call into it.
 */
export class Ec2World {
  state = new Ec2State();
  readonly ids = new IdFactory();
  delays: TransitionDelays = { ...DEFAULT_TRANSITION_DELAYS };
  /** The sim clock, taken from the latest request (transitions are scheduled on it). */
  clock = new SimClock();
  accountId = '123456789012';
  region = 'eu-west-2';
  private readonly listeners = new Set<(change: InstanceStateChange) => void>();
  /** Pending network transitions (attachments, peering), cancelled by reset(). */
  private readonly timers = new Set<() => void>();
  /** Simulated time network attachments and peering connections take to change state. */
  networkDelays: NetworkDelays = { ...DEFAULT_NETWORK_DELAYS };

  reset(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.networkDelays = { ...DEFAULT_NETWORK_DELAYS };
    for (const instance of this.state.instances.values()) instance.cancelTransition?.();
    this.state = new Ec2State();
    this.ids.reset();
    this.delays = { ...DEFAULT_TRANSITION_DELAYS };
  }

  onInstanceStateChange(listener: (change: InstanceStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- lookups -------------------------------------------------------------------------------

  get<K extends LookupKind>(kind: K, id: string): ResourceOf<K> {
    return this.many(kind, [id])[0]!;
  }

  /** Every id must exist; the error names all the missing ones, as EC2 does. */
  many<K extends LookupKind>(kind: K, ids: string[]): ResourceOf<K>[] {
    const lookup: Lookup = LOOKUPS[kind];
    const map = lookup.map(this.state);
    const malformedPattern = new RegExp(`^${lookup.prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);
    for (const id of ids) {
      if (lookup.malformed && !malformedPattern.test(id)) {
        throw new AwsError(lookup.malformed, `Invalid id: "${id}" (expecting "${lookup.prefix}-...")`);
      }
    }
    const missingIds = ids.filter((id) => !map.has(id));
    if (missingIds.length === 1) {
      throw new AwsError(lookup.notFound, `The ${lookup.noun} ID '${missingIds[0]}' does not exist`);
    }
    if (missingIds.length > 1) {
      throw new AwsError(lookup.notFound, `The ${lookup.noun} IDs '${missingIds.join(', ')}' do not exist`);
    }
    return ids.map((id) => map.get(id) as ResourceOf<K>);
  }

  /** Any taggable resource by id, with its DescribeTags resource type. */
  taggable(id: string): { tags: Tags; resourceType: string } {
    for (const [kind, resourceType] of RESOURCE_TYPES) {
      const lookup: Lookup = LOOKUPS[kind];
      if (!id.startsWith(`${lookup.prefix}-`)) continue;
      const resource = lookup.map(this.state).get(id) as { tags: Tags } | undefined;
      if (!resource) throw new AwsError(lookup.notFound, `The ${lookup.noun} ID '${id}' does not exist`);
      return { tags: resource.tags, resourceType };
    }
    throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  }

  allTaggables(): { resourceId: string; resourceType: string; tags: Tags; seq: number }[] {
    const all: { resourceId: string; resourceType: string; tags: Tags; seq: number }[] = [];
    for (const [kind, resourceType] of RESOURCE_TYPES) {
      for (const [resourceId, resource] of LOOKUPS[kind].map(this.state) as Map<string, { tags: Tags; seq: number }>) {
        all.push({ resourceId, resourceType, tags: resource.tags, seq: resource.seq });
      }
    }
    return all;
  }

  // ---- route tables ----------------------------------------------------------------------------

  /** A route is active while its target can carry traffic; otherwise EC2 reports it blackholed. */
  routeState(route: Route, table: RouteTable): 'active' | 'blackhole' {
    if (route.gatewayId === 'local') return 'active';
    if (route.gatewayId) {
      const gateway = this.state.internetGateways.get(route.gatewayId) ?? this.state.vpnGateways.get(route.gatewayId);
      // A VGW carries traffic only while `attached` (detaching and detached leave the route blackhole).
      return gateway?.attachments.some((a) => a.vpcId === table.vpcId && a.state === 'attached')
        ? 'active'
        : 'blackhole';
    }
    if (route.transitGatewayId) {
      return this.transitGatewayReaches(route.transitGatewayId, table.vpcId) ? 'active' : 'blackhole';
    }
    if (route.vpcPeeringConnectionId) {
      const pcx = this.state.vpcPeeringConnections.get(route.vpcPeeringConnectionId);
      const joins = pcx && (pcx.requesterVpcId === table.vpcId || pcx.accepterVpcId === table.vpcId);
      return joins && pcx.state === 'active' ? 'active' : 'blackhole';
    }
    if (route.networkInterfaceId) {
      const eni = this.state.networkInterfaces.get(route.networkInterfaceId);
      const instance = eni?.attachment ? this.state.instances.get(eni.attachment.instanceId) : undefined;
      return instance?.state === 'running' ? 'active' : 'blackhole';
    }
    if (route.instanceId)
      return this.state.instances.get(route.instanceId)?.state === 'running' ? 'active' : 'blackhole';
    return 'blackhole';
  }

  /**
   * Whether a route from this VPC to the Transit Gateway carries traffic: the gateway exists and the VPC has an
   * attachment to it that is `available` (or `modifying`, which keeps forwarding: inferred, not documented).
   */
  transitGatewayReaches(transitGatewayId: string, vpcId: string): boolean {
    if (!this.state.transitGateways.has(transitGatewayId)) return false;
    return [...this.state.transitGatewayVpcAttachments.values()].some(
      (a) =>
        a.transitGatewayId === transitGatewayId &&
        a.vpcId === vpcId &&
        (a.state === 'available' || a.state === 'modifying'),
    );
  }

  /** Runs `fire` after `delayMs` of simulated time; cancelled by reset(). */
  later(delayMs: number, fire: () => void): void {
    if (delayMs <= 0) {
      fire();
      return;
    }
    const cancel = this.clock.schedule(this.clock.now() + delayMs, () => {
      this.timers.delete(cancel);
      fire();
    });
    this.timers.add(cancel);
  }

  mainRouteTable(vpcId: string): RouteTable | undefined {
    return [...this.state.routeTables.values()].find((t) => t.vpcId === vpcId && t.associations.some((a) => a.main));
  }

  // ---- network interfaces --------------------------------------------------------------------

  /** The next free private address of a subnet, or the requested one if it is free and in range. */
  allocatePrivateIp(subnet: Subnet, requested?: string): string {
    const cidr = parseIpv4Cidr(subnet.cidrBlock)!;
    const used = new Set(
      [...this.state.networkInterfaces.values()]
        .filter((e) => e.subnetId === subnet.subnetId)
        .map((e) => e.privateIpAddress),
    );
    if (requested !== undefined) {
      const address = parseIpv4(requested);
      if (address === undefined) {
        throw new AwsError('InvalidParameterValue', `Value (${requested}) for parameter privateIpAddress is invalid.`);
      }
      // AWS reserves the first four addresses and the last one of every subnet.
      const offset = address - cidr.base;
      if (!containsAddress(cidr, address) || offset < 4 || offset === size(cidr) - 1) {
        throw new AwsError(
          'InvalidParameterValue',
          `Address ${requested} does not fall within the subnet's address range`,
        );
      }
      if (used.has(requested)) throw new AwsError('InvalidIPAddress.InUse', `Address ${requested} is in use.`);
      return requested;
    }
    for (let host = subnet.nextHost; host < size(cidr) - 1; host++) {
      const candidate = formatIpv4(cidr.base + host);
      if (!used.has(candidate)) {
        subnet.nextHost = host + 1;
        return candidate;
      }
    }
    throw new AwsError(
      'InsufficientFreeAddressesInSubnet',
      `The specified subnet ${subnet.subnetId} does not have enough free addresses to satisfy the request.`,
    );
  }

  createNetworkInterface(
    subnet: Subnet,
    options: { privateIpAddress?: string; description?: string; groupIds?: string[]; tags?: Tags },
  ): NetworkInterface {
    const seq = this.ids.seq();
    const eni: NetworkInterface = {
      seq,
      networkInterfaceId: this.ids.next('networkInterface'),
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      description: options.description ?? '',
      privateIpAddress: this.allocatePrivateIp(subnet, options.privateIpAddress),
      macAddress: `02:${[seq >> 24, seq >> 16, seq >> 8, seq, 0x5a]
        .map((b) => (b & 0xff).toString(16).padStart(2, '0'))
        .join(':')}`,
      sourceDestCheck: true,
      groupIds: options.groupIds?.length ? options.groupIds : [`sg-${subnet.vpcId.slice(4, 21)}`],
      tags: options.tags ?? new Map(),
    };
    this.state.networkInterfaces.set(eni.networkInterfaceId, eni);
    return eni;
  }

  attach(eni: NetworkInterface, instance: Instance, deviceIndex: number, deleteOnTermination: boolean): string {
    const attachmentId = this.ids.next('attachment');
    eni.attachment = {
      attachmentId,
      instanceId: instance.instanceId,
      deviceIndex,
      status: 'attached',
      attachTime: this.clock.iso(),
      deleteOnTermination,
    };
    return attachmentId;
  }

  interfacesOf(instance: Instance): NetworkInterface[] {
    return [...this.state.networkInterfaces.values()]
      .filter((e) => e.attachment?.instanceId === instance.instanceId)
      .sort((a, b) => a.attachment!.deviceIndex - b.attachment!.deviceIndex);
  }

  primaryInterface(instance: Instance): NetworkInterface | undefined {
    return this.interfacesOf(instance).find((e) => e.attachment?.deviceIndex === 0);
  }

  addressOn(eni: NetworkInterface): Address | undefined {
    return [...this.state.addresses.values()].find((a) => a.association?.networkInterfaceId === eni.networkInterfaceId);
  }

  deleteNetworkInterface(eni: NetworkInterface): void {
    const address = this.addressOn(eni);
    if (address) address.association = undefined;
    this.state.networkInterfaces.delete(eni.networkInterfaceId);
  }

  // ---- instance lifecycle --------------------------------------------------------------------

  /** Drops terminated instances EC2 would no longer show. */
  sweep(): void {
    for (const [id, instance] of this.state.instances) {
      if (instance.terminatedAt !== undefined && this.clock.now() - instance.terminatedAt > TERMINATED_VISIBLE_MS) {
        this.state.instances.delete(id);
      }
    }
    for (const [id, attachment] of this.state.transitGatewayVpcAttachments) {
      if (attachment.deletedAt !== undefined && this.clock.now() - attachment.deletedAt > ENDED_VISIBLE_MS) {
        this.state.transitGatewayVpcAttachments.delete(id);
      }
    }
    for (const [id, pcx] of this.state.vpcPeeringConnections) {
      if (pcx.endedAt !== undefined && this.clock.now() - pcx.endedAt > ENDED_VISIBLE_MS) {
        this.state.vpcPeeringConnections.delete(id);
      }
    }
  }

  /** Moves an instance into a transitional state, then to `next` after `delayMs` of simulated time. */
  beginTransition(instance: Instance, transitional: InstanceStateName, next: InstanceStateName, delayMs: number): void {
    instance.cancelTransition?.();
    instance.cancelTransition = undefined;
    this.setState(instance, transitional);
    const finish = () => {
      instance.cancelTransition = undefined;
      if (this.state.instances.get(instance.instanceId) === instance) this.setState(instance, next);
    };
    if (delayMs <= 0) finish();
    else instance.cancelTransition = this.clock.schedule(this.clock.now() + delayMs, finish);
  }

  private setState(instance: Instance, state: InstanceStateName): void {
    const previousState = instance.state;
    if (previousState === state) return;
    instance.state = state;
    if (state === 'terminated') this.onTerminated(instance);
    const change = { instanceId: instance.instanceId, state, previousState, time: this.clock.iso() };
    for (const listener of this.listeners) listener(change);
  }

  /** DeleteOnTermination interfaces go (with their EIP associations); the others are detached. */
  private onTerminated(instance: Instance): void {
    instance.terminatedAt = this.clock.now();
    instance.stateReason = {
      code: 'Client.UserInitiatedShutdown',
      message: 'Client.UserInitiatedShutdown: User initiated shutdown',
    };
    for (const eni of this.interfacesOf(instance)) {
      if (eni.attachment?.deleteOnTermination) this.deleteNetworkInterface(eni);
      else eni.attachment = undefined;
    }
  }
}
