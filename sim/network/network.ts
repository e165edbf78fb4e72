import { type AddressInfo, createServer, isIPv4, type Server, type Socket } from 'node:net';
import type { VendorDnsServer } from '../dns/server.js';
import { VendorZone } from '../dns/zone.js';
import { parseIpv4, parseIpv4Cidr } from '../services/ec2/cidr.js';
import type { RouteTable } from '../services/ec2/model.js';
import type { Ec2World } from '../services/ec2/world.js';
import type { ResolverRule } from '../services/resolver/model.js';
import type { ResolverService } from '../services/resolver/service.js';
import type { ConnectDecision, NetworkScope } from './intercept.js';
import { VpcResolver } from './vpc-resolver.js';

/** A vendor service (the database's listener) at an address of the vendor's range. */
interface VendorService {
  address: string;
  port: number;
  open: boolean;
  server: Server;
  loopbackPort: number;
  connections: Set<Socket>;
}

export interface PathCheck {
  up: boolean;
  /** Why not, in words. */
  reason?: string;
}

/**
 * The simulated VPC data plane between the customer's VPCs and the vendor: the VPC resolvers (base + 2)
 * on loopback, the public DNS, the vendor's TCP services, and the tunnels of each gateway instance.
 * A packet to the vendor range travels while every route table of the VPC that routes the address
 * holds an `active` route to a gateway whose tunnels are up (the route tables the sim knows do not
 * record which subnet a function's ENI uses, so all of them must carry it).
 */
export class SimNetwork {
  /** Names on the internet: what the VPC resolver answers for a name no forward rule covers. */
  readonly publicZone = new VendorZone();
  /** The address the vendor's DNS servers stand for inside the vendor range (they listen on loopback). */
  vendorDnsAddress = '10.200.0.2';
  private readonly tunnels = new Map<string, boolean>();
  private readonly services = new Map<string, VendorService>();
  private readonly resolvers = new Map<string, VpcResolver>();

  constructor(
    private readonly deps: { ec2: () => Ec2World; resolver: () => ResolverService; vendorDns: VendorDnsServer },
  ) {}

  /** The gateway's tunnels: up unless a scenario took them down. */
  setTunnels(instanceId: string, up: boolean): void {
    this.tunnels.set(instanceId, up);
  }

  tunnelsUp(instanceId: string): boolean {
    return this.tunnels.get(instanceId) ?? true;
  }

  /** Starts a listener on loopback standing for the vendor's service at address:port. */
  async addVendorService(address: string, port: number): Promise<void> {
    if (!isIPv4(address)) throw new RangeError(`a vendor service needs an IPv4 address, got ${address}`);
    const key = `${address}:${port}`;
    if (this.services.has(key)) return;
    const connections = new Set<Socket>();
    const server = createServer((socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const loopbackPort = (server.address() as AddressInfo).port;
    this.services.set(key, { address, port, open: true, server, loopbackPort, connections });
  }

  /** Closes (or opens again) the vendor's port: a closed one refuses connections. */
  setVendorPort(address: string, port: number, open: boolean): void {
    const service = this.services.get(`${address}:${port}`);
    if (!service) throw new RangeError(`no vendor service at ${address}:${port}`);
    service.open = open;
  }

  /** Whether a packet from the VPC to the address reaches the vendor now. */
  pathUp(vpcId: string, address: string): PathCheck {
    const ip = parseIpv4(address);
    if (ip === undefined) return { up: false, reason: `${address} is not an IPv4 address` };
    const world = this.deps.ec2();
    const tables = [...world.state.routeTables.values()].filter((t) => t.vpcId === vpcId);
    const routes = tables
      .map((table) => ({ table, route: mostSpecificRoute(table, ip) }))
      .filter((r) => r.route !== undefined && r.route.gatewayId !== 'local');
    if (routes.length === 0) return { up: false, reason: `no route to ${address} in ${vpcId}` };
    for (const { table, route } of routes) {
      if (!route) continue;
      if (world.routeState(route, table) !== 'active')
        return { up: false, reason: `the route to ${address} in ${table.routeTableId} is blackhole` };
      const eni = route.networkInterfaceId ? world.state.networkInterfaces.get(route.networkInterfaceId) : undefined;
      const instanceId = eni?.attachment?.instanceId ?? route.instanceId;
      if (!instanceId) return { up: false, reason: `the route in ${table.routeTableId} does not lead to a gateway` };
      if (!this.tunnelsUp(instanceId))
        return { up: false, reason: `the tunnels of ${instanceId} (route in ${table.routeTableId}) are down` };
    }
    return { up: true };
  }

  /** The scope a function in these subnets runs with, its VPC resolver started; undefined outside any known VPC. */
  async scopeFor(subnetIds: readonly string[]): Promise<NetworkScope | undefined> {
    const world = this.deps.ec2();
    const subnet = subnetIds.map((id) => world.state.subnets.get(id)).find((s) => s !== undefined);
    if (!subnet) return undefined;
    const vpc = world.state.vpcs.get(subnet.vpcId);
    if (!vpc) return undefined;
    const resolver = await this.vpcResolver(vpc.vpcId);
    const cidr = parseIpv4Cidr(vpc.cidrBlock);
    const resolverIp = cidr ? cidr.base + 2 : undefined;
    return {
      vpcId: vpc.vpcId,
      dnsServerFor: (ip, port) =>
        port === 53 && parseIpv4(ip) === resolverIp ? `127.0.0.1:${resolver.port}` : undefined,
      connect: (ip, port) => this.connectDecision(vpc.vpcId, ip, port),
    };
  }

  private connectDecision(vpcId: string, ip: string, port: number): ConnectDecision {
    if (!this.pathUp(vpcId, ip).up) return { kind: 'drop' };
    const service = this.services.get(`${ip}:${port}`);
    if (!service) return { kind: 'drop' };
    return service.open ? { kind: 'loopback', port: service.loopbackPort } : { kind: 'refused' };
  }

  /** The VPC's resolver, started on first use. */
  async vpcResolver(vpcId: string): Promise<VpcResolver> {
    let resolver = this.resolvers.get(vpcId);
    if (!resolver) {
      resolver = new VpcResolver(vpcId, {
        rules: (vpc) => this.deps.resolver().associatedRules(vpc),
        forwardTarget: (rule) => this.forwardTarget(rule),
        publicAnswer: (name, qtype) => {
          try {
            const { rcode, answers } = this.publicZone.answer(name, qtype);
            return { rcode: rcode === 'SERVFAIL' ? 'SERVFAIL' : rcode, answers };
          } catch {
            return { rcode: 'SERVFAIL', answers: [] };
          }
        },
      });
      this.resolvers.set(vpcId, resolver);
      await resolver.start();
    }
    return resolver;
  }

  /**
   * A forwarded query leaves through the outbound endpoint's VPC, so it needs that VPC's path to the
   * vendor's DNS servers. Every target is served by the sim's vendor DNS server: a loopback target is
   * that server itself (it stands for vendorDnsAddress), a vendor-range target is carried to it.
   */
  private forwardTarget(rule: ResolverRule): { host: string; port: number } | undefined {
    const endpointVpc = rule.ResolverEndpointId
      ? this.deps.resolver().endpointVpcId(rule.ResolverEndpointId)
      : undefined;
    const target = rule.TargetIps?.[0];
    if (!endpointVpc || !target?.Ip) return undefined;
    const through = target.Ip.startsWith('127.') ? this.vendorDnsAddress : target.Ip;
    if (!this.pathUp(endpointVpc, through).up) return undefined;
    return { host: '127.0.0.1', port: this.deps.vendorDns.port };
  }

  snapshot(): unknown {
    return {
      tunnels: Object.fromEntries(this.tunnels),
      vendorServices: [...this.services.values()].map(({ address, port, open }) => ({ address, port, open })),
      vpcResolvers: Object.fromEntries([...this.resolvers].map(([vpc, r]) => [vpc, `127.0.0.1:${r.port}`])),
      publicZone: this.publicZone.snapshot(),
    };
  }

  async reset(): Promise<void> {
    this.tunnels.clear();
    this.publicZone.clear();
    await this.stopAll();
  }

  async stopAll(): Promise<void> {
    const resolvers = [...this.resolvers.values()];
    const services = [...this.services.values()];
    this.resolvers.clear();
    this.services.clear();
    for (const service of services) for (const socket of service.connections) socket.destroy();
    await Promise.all([
      ...resolvers.map((r) => r.stop()),
      ...services.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))),
    ]);
  }
}

function mostSpecificRoute(table: RouteTable, ip: number) {
  let best: { route: RouteTable['routes'][number]; prefix: number } | undefined;
  for (const route of table.routes) {
    if (route.destination.kind !== 'DestinationCidrBlock') continue;
    const cidr = parseIpv4Cidr(route.destination.value);
    if (!cidr) continue;
    const size = 2 ** (32 - cidr.prefix);
    if (ip >= cidr.base && ip < cidr.base + size && (!best || cidr.prefix > best.prefix))
      best = { route, prefix: cidr.prefix };
  }
  return best?.route;
}
