import type { SimAccount } from '../index.js';
import type { Ec2Service } from '../services/ec2/service.js';
import { AccountClients } from './clients.js';
import { parseTopology, ScenarioError, type TopologyInput } from './scenario.js';

/** Ids the topology's names stand for, for steps and expectations to refer to. */
export interface Names {
  vpc: Record<string, string>;
  subnet: Record<string, string>;
  igw: Record<string, string>;
  tgw: Record<string, string>;
  tgwAttachment: Record<string, string>;
  vgw: Record<string, string>;
  pcx: Record<string, string>;
  prefixList: Record<string, string>;
  instance: Record<string, string>;
  eni: Record<string, string>;
  routeTable: Record<string, string>;
  eip: Record<string, string>;
  endpoint: Record<string, string>;
  securityGroup: Record<string, string>;
  rule: Record<string, string>;
}

/** A route target as a scenario writes it: one of these, by topology name. */
export interface RouteTargetInput {
  instance?: string | undefined;
  eniOf?: string | undefined;
  internetGateway?: string | undefined;
  transitGateway?: string | undefined;
  vpnGateway?: string | undefined;
  peeringConnection?: string | undefined;
}

/** What a reference `{{kind.name}}` (or `{{now}}`) in a scenario's text stands for. */
export type ReferenceResolver = (kind: string, name: string | undefined) => string;

/** Replaces `{{kind.name}}` in every string of a value with what `resolve` makes of it. */
export function fillReferences<T>(value: T, resolve: ReferenceResolver): T {
  if (typeof value === 'string') {
    return value.replace(/\{\{\s*([a-zA-Z]+)(?:\.([^}\s]+))?\s*\}\}/g, (_, kind: string, name: string | undefined) =>
      resolve(kind, name),
    ) as T;
  }
  if (Array.isArray(value)) return value.map((v) => fillReferences(v, resolve)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillReferences(v, resolve)])) as T;
  }
  return value;
}

/**
 * A scenario's topology in one account: built through the AWS APIs, as an operator's stack would
 * build it, with the ids its names stand for. It needs no deployment: parameters that name topology
 * ids are filled from it before the template is deployed.
 */
export class Topology {
  readonly names: Names = {
    vpc: {},
    subnet: {},
    igw: {},
    tgw: {},
    tgwAttachment: {},
    vgw: {},
    pcx: {},
    prefixList: {},
    instance: {},
    eni: {},
    routeTable: {},
    eip: {},
    endpoint: {},
    securityGroup: {},
    rule: {},
  };
  /** Tells this run's names and CreatorRequestIds from an earlier run's on an endpoint the drill does not reset. */
  readonly runId: string;

  constructor(
    readonly sim: SimAccount,
    readonly clients: AccountClients = new AccountClients(() => sim.endpoint),
    runId?: string,
  ) {
    this.runId = runId ?? crypto.randomUUID().slice(0, 8);
  }

  /** Calls `service:Action` with the drill's SDK clients. */
  // biome-ignore lint/suspicious/noExplicitAny: responses are read by field name, as a script would
  call(target: string, params: Record<string, unknown> = {}): Promise<any> {
    return this.clients.call(target, params);
  }

  /** `{{now}}` and `{{kind.name}}` of the topology's names. */
  resolveReference(kind: string, name: string | undefined): string {
    if (kind === 'now') return this.sim.clock.iso();
    if (name === undefined) throw new ScenarioError(`unknown reference {{${kind}}} (use {{now}} or {{kind.name}})`);
    if (kind === 'stateMachine' || kind === 'resource') {
      throw new ScenarioError(`{{${kind}.${name}}} names a deployed resource: it cannot be used before the deployment`);
    }
    if (!(kind in this.names)) throw new ScenarioError(`unknown reference {{${kind}.${name}}}`);
    return this.ref(kind as keyof Names, name);
  }

  /** Replaces `{{kind.name}}` and `{{now}}` in every string of a value with the id it stands for. */
  fill<T>(value: T): T {
    return fillReferences(value, (kind, name) => this.resolveReference(kind, name));
  }

  ref(kind: keyof Names, name: string): string {
    const id = this.names[kind][name];
    if (!id)
      throw new ScenarioError(
        `no ${kind} named ${name} in the topology (known: ${Object.keys(this.names[kind]).join(', ') || 'none'})`,
      );
    return id;
  }

  /** Creates the scenario's topology through the AWS APIs, the way an operator's stack would. */
  async build(written: TopologyInput): Promise<void> {
    const topology = parseTopology(written);
    for (const vpc of topology.vpcs) {
      const { Vpc } = await this.call('ec2:CreateVpc', {
        CidrBlock: vpc.cidr,
        ...(vpc.ipv6 ? { AmazonProvidedIpv6CidrBlock: true } : {}),
        TagSpecifications: nameTag('vpc', vpc.name),
      });
      this.names.vpc[vpc.name] = Vpc.VpcId;
      const block: string | undefined = Vpc.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock;
      let ipv6Subnets = 0;
      for (const subnet of vpc.subnets) {
        if (subnet.ipv6 && !block)
          throw new ScenarioError(`subnet ${vpc.name}.${subnet.name}: ipv6 needs ipv6: true on its VPC`);
        const { Subnet } = await this.call('ec2:CreateSubnet', {
          VpcId: Vpc.VpcId,
          CidrBlock: subnet.cidr,
          ...(subnet.ipv6 && block ? { Ipv6CidrBlock: nthSubnet64(block, ipv6Subnets++) } : {}),
        });
        this.names.subnet[`${vpc.name}.${subnet.name}`] = Subnet.SubnetId;
      }
    }
    for (const igw of topology.internetGateways) {
      const { InternetGateway } = await this.call('ec2:CreateInternetGateway', {});
      await this.call('ec2:AttachInternetGateway', {
        InternetGatewayId: InternetGateway.InternetGatewayId,
        VpcId: this.ref('vpc', igw.vpc),
      });
      this.names.igw[igw.name] = InternetGateway.InternetGatewayId;
    }
    for (const list of topology.prefixLists) {
      const { PrefixList } = await this.call('ec2:CreateManagedPrefixList', {
        PrefixListName: list.name,
        AddressFamily: list.cidrs[0]!.includes(':') ? 'IPv6' : 'IPv4',
        MaxEntries: Math.max(list.cidrs.length, 5),
        Entries: list.cidrs.map((Cidr) => ({ Cidr })),
      });
      this.names.prefixList[list.name] = PrefixList.PrefixListId;
    }
    for (const instance of topology.instances)
      await this.launch(instance.name, instance.subnet, instance.tags, instance.sourceDestCheck);
    await this.waitForTransitions();
    await this.buildPaths(topology);
    for (const table of topology.routeTables) {
      const { RouteTable } = await this.call('ec2:CreateRouteTable', {
        VpcId: this.ref('vpc', table.vpc),
        TagSpecifications: [{ ResourceType: 'route-table', Tags: tagList({ Name: table.name, ...table.tags }) }],
      });
      this.names.routeTable[table.name] = RouteTable.RouteTableId;
      for (const subnet of table.subnets) {
        await this.call('ec2:AssociateRouteTable', {
          RouteTableId: RouteTable.RouteTableId,
          SubnetId: this.ref('subnet', `${table.vpc}.${subnet}`),
        });
      }
      for (const route of table.routes) {
        await this.call('ec2:CreateRoute', {
          RouteTableId: RouteTable.RouteTableId,
          ...this.destination(route.destination),
          ...this.target(route.target),
        });
      }
    }
    for (const eip of topology.elasticIps) {
      const { AllocationId } = await this.call('ec2:AllocateAddress', { Domain: 'vpc' });
      this.names.eip[eip.name] = AllocationId;
      if (eip.instance)
        await this.call('ec2:AssociateAddress', { AllocationId, InstanceId: this.ref('instance', eip.instance) });
    }
    for (const endpoint of topology.resolverEndpoints) {
      // Route 53 Resolver needs an existing security group in the endpoint's VPC.
      const vpcName = endpoint.subnets[0]!.split('.')[0]!;
      const { GroupId } = await this.call('ec2:CreateSecurityGroup', {
        GroupName: `resolver-${endpoint.name}`,
        Description: `Route 53 Resolver endpoint ${endpoint.name}`,
        VpcId: this.ref('vpc', vpcName),
      });
      this.names.securityGroup[endpoint.name] = GroupId;
      const { ResolverEndpoint } = await this.call('route53resolver:CreateResolverEndpoint', {
        CreatorRequestId: `drill-${endpoint.name}-${this.runId}`,
        Name: endpoint.name,
        Direction: endpoint.direction,
        SecurityGroupIds: [GroupId],
        IpAddresses: endpoint.subnets.map((s) => ({ SubnetId: this.ref('subnet', s) })),
      });
      this.names.endpoint[endpoint.name] = ResolverEndpoint.Id;
    }
    for (const rule of topology.resolverRules) {
      const { ResolverRule } = await this.call('route53resolver:CreateResolverRule', {
        CreatorRequestId: `drill-${rule.name}-${this.runId}`,
        Name: rule.name,
        RuleType: 'FORWARD',
        DomainName: rule.domain,
        TargetIps: rule.targets.map((t) => ({ Ip: t, Port: 53 })),
        ResolverEndpointId: this.ref('endpoint', rule.endpoint),
        Tags: tagList(rule.tags),
      });
      this.names.rule[rule.name] = ResolverRule.Id;
      for (const vpc of rule.associate) {
        await this.call('route53resolver:AssociateResolverRule', {
          ResolverRuleId: ResolverRule.Id,
          VPCId: this.ref('vpc', vpc),
        });
      }
    }
    for (const record of topology.dns) this.setDns(record);
    for (const record of topology.publicDns) {
      if (record.cname) this.sim.network.publicZone.setCname(record.name, record.cname, record.ttl);
      if (record.a) this.sim.network.publicZone.setA(record.name, record.a, record.ttl);
    }
    for (const service of topology.vendorServices)
      await this.sim.network.addVendorService(service.address, service.port);
  }

  /** Transit Gateways with their VPC attachments, VGWs and peering connections, ready before any route names them. */
  private async buildPaths(topology: ReturnType<typeof parseTopology>): Promise<void> {
    for (const tgw of topology.transitGateways) {
      const { TransitGateway } = await this.call('ec2:CreateTransitGateway', {
        TagSpecifications: nameTag('transit-gateway', tgw.name),
      });
      this.names.tgw[tgw.name] = TransitGateway.TransitGatewayId;
      for (const attachment of tgw.attachments) {
        const { TransitGatewayVpcAttachment } = await this.call('ec2:CreateTransitGatewayVpcAttachment', {
          TransitGatewayId: TransitGateway.TransitGatewayId,
          VpcId: this.ref('vpc', attachment.vpc),
          SubnetIds: attachment.subnets.map((subnet) => this.ref('subnet', `${attachment.vpc}.${subnet}`)),
        });
        this.names.tgwAttachment[attachment.name] = TransitGatewayVpcAttachment.TransitGatewayAttachmentId;
      }
    }
    for (const vgw of topology.vpnGateways) {
      const { VpnGateway } = await this.call('ec2:CreateVpnGateway', { Type: 'ipsec.1' });
      this.names.vgw[vgw.name] = VpnGateway.VpnGatewayId;
      if (vgw.vpc) {
        await this.call('ec2:AttachVpnGateway', {
          VpnGatewayId: VpnGateway.VpnGatewayId,
          VpcId: this.ref('vpc', vgw.vpc),
        });
      }
    }
    for (const pcx of topology.peeringConnections) {
      const { VpcPeeringConnection } = await this.call('ec2:CreateVpcPeeringConnection', {
        VpcId: this.ref('vpc', pcx.vpc),
        PeerVpcId: this.ref('vpc', pcx.peerVpc),
      });
      this.names.pcx[pcx.name] = VpcPeeringConnection.VpcPeeringConnectionId;
      if (pcx.accept) {
        await this.call('ec2:AcceptVpcPeeringConnection', {
          VpcPeeringConnectionId: VpcPeeringConnection.VpcPeeringConnectionId,
        });
      }
    }
    // Let attachments become available and peering connections active, as a real set-up waits for them.
    const { transitGatewayAttachment, vpnGateway, peering } = this.ec2().world.networkDelays;
    const waits = [
      topology.transitGateways.length > 0 ? transitGatewayAttachment : 0,
      topology.vpnGateways.some((vgw) => vgw.vpc) ? vpnGateway : 0,
      topology.peeringConnections.length > 0 ? peering : 0,
    ];
    if (Math.max(...waits) > 0) this.sim.clock.advance(Math.max(...waits));
  }

  /**
   * Removes, best effort, what this run made on an endpoint the drill does not reset: the product's
   * and the topology's Resolver rules (disassociated first) and endpoints, the instances (terminated),
   * the route tables, security groups and, when given, the deployment's state table. The product finds
   * tables, instances and rules by tag, so leftovers would join the next scenario. Returns what could not go.
   */
  async cleanup(stateTable?: string): Promise<string[]> {
    const failures: string[] = [];
    const attempt = async (what: string, call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    const vpcs = new Set(Object.values(this.names.vpc));
    const endpoints = new Set(Object.values(this.names.endpoint));
    await attempt('resolver rules', async () => {
      const { ResolverRules = [] } = await this.call('route53resolver:ListResolverRules', { MaxResults: 100 });
      for (const rule of ResolverRules as { Id: string; ResolverEndpointId?: string }[]) {
        if (!rule.ResolverEndpointId || !endpoints.has(rule.ResolverEndpointId)) continue;
        for (const vpc of vpcs) {
          await attempt(`disassociate ${rule.Id}`, () =>
            this.call('route53resolver:DisassociateResolverRule', { ResolverRuleId: rule.Id, VPCId: vpc }),
          );
        }
        await attempt(`delete ${rule.Id}`, () =>
          this.call('route53resolver:DeleteResolverRule', { ResolverRuleId: rule.Id }),
        );
      }
    });
    for (const id of endpoints)
      await attempt(`endpoint ${id}`, () =>
        this.call('route53resolver:DeleteResolverEndpoint', { ResolverEndpointId: id }),
      );
    const instances = Object.values(this.names.instance);
    if (instances.length)
      await attempt('instances', () => this.call('ec2:TerminateInstances', { InstanceIds: instances }));
    for (const id of Object.values(this.names.eip))
      await attempt(`address ${id}`, () => this.call('ec2:ReleaseAddress', { AllocationId: id }));
    for (const id of Object.values(this.names.routeTable)) {
      await attempt(`route table ${id}`, async () => {
        const { RouteTables } = await this.call('ec2:DescribeRouteTables', { RouteTableIds: [id] });
        for (const a of (RouteTables[0]?.Associations ?? []) as { RouteTableAssociationId: string }[])
          await this.call('ec2:DisassociateRouteTable', { AssociationId: a.RouteTableAssociationId });
        await this.call('ec2:DeleteRouteTable', { RouteTableId: id });
      });
    }
    for (const id of Object.values(this.names.securityGroup))
      await attempt(`security group ${id}`, () => this.call('ec2:DeleteSecurityGroup', { GroupId: id }));
    if (stateTable)
      await attempt(`table ${stateTable}`, () => this.call('dynamodb:DeleteTable', { TableName: stateTable }));
    return failures;
  }

  ec2(): Ec2Service {
    return this.sim.service<Ec2Service>('ec2');
  }

  setDns(record: { name: string; cname?: string | undefined; a?: string[] | undefined; ttl: number }): void {
    if (record.cname) this.sim.dns.setCname(record.name, record.cname, record.ttl);
    if (record.a) this.sim.dns.setA(record.name, record.a, record.ttl);
  }

  async launch(name: string, subnet: string, tags: Record<string, string>, sourceDestCheck: boolean): Promise<void> {
    const { Instances } = await this.call('ec2:RunInstances', {
      ImageId: 'ami-0a1b2c3d4e5f60718',
      InstanceType: 't4g.small',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: this.ref('subnet', subnet),
      TagSpecifications: [{ ResourceType: 'instance', Tags: tagList({ Name: name, ...tags }) }],
    });
    const instance = Instances[0];
    this.names.instance[name] = instance.InstanceId;
    this.names.eni[name] = instance.NetworkInterfaces[0].NetworkInterfaceId;
    if (!sourceDestCheck) {
      await this.call('ec2:ModifyInstanceAttribute', {
        InstanceId: instance.InstanceId,
        SourceDestCheck: { Value: false },
      });
    }
  }

  /** Lets pending instances finish starting, as the time a real launch takes. */
  async waitForTransitions(): Promise<void> {
    const { pending } = this.ec2().world.delays;
    if (pending > 0) this.sim.clock.advance(pending);
  }

  destination(text: string): Record<string, string> {
    if (text.startsWith('prefixList:'))
      return { DestinationPrefixListId: this.ref('prefixList', text.slice('prefixList:'.length)) };
    return text.includes(':') ? { DestinationIpv6CidrBlock: text } : { DestinationCidrBlock: text };
  }

  private target(target: RouteTargetInput): Record<string, string> {
    if (target.eniOf) return { NetworkInterfaceId: this.ref('eni', target.eniOf) };
    if (target.instance) return { InstanceId: this.ref('instance', target.instance) };
    if (target.internetGateway) return { GatewayId: this.ref('igw', target.internetGateway) };
    if (target.transitGateway) {
      return { TransitGatewayId: this.names.tgw[target.transitGateway] ?? target.transitGateway };
    }
    if (target.vpnGateway) return { GatewayId: this.ref('vgw', target.vpnGateway) };
    if (target.peeringConnection) return { VpcPeeringConnectionId: this.ref('pcx', target.peeringConnection) };
    throw new ScenarioError(
      'a route target needs one of instance, eniOf, internetGateway, transitGateway, vpnGateway, peeringConnection',
    );
  }

  /** The route fields a written target must match, as DescribeRouteTables shows them. */
  expectedTarget(target: RouteTargetInput): Record<string, string> {
    return this.target(target);
  }

  /** The route of a table for a destination as EC2 reports it now. */
  async route(table: string, destination: string): Promise<Record<string, string> | undefined> {
    const { RouteTables } = await this.call('ec2:DescribeRouteTables', {
      RouteTableIds: [this.ref('routeTable', table)],
    });
    const key = this.destination(destination);
    const [field, value] = Object.entries(key)[0]!;
    return (RouteTables[0].Routes as Record<string, string>[]).find((r) => r[field] === value);
  }

  /** The topology name of an id, for readable output. */
  nameOf(id: string | undefined): string | undefined {
    if (!id) return undefined;
    for (const [kind, map] of Object.entries(this.names)) {
      for (const [name, value] of Object.entries(map as Record<string, string>))
        if (value === id) return `${kind}:${name}`;
    }
    return id;
  }
}

/** The n-th /64 of an IPv6 /56 block (AWS assigns subnets /64s of the VPC's /56). */
function nthSubnet64(block: string, n: number): string {
  if (n > 255) throw new ScenarioError('a VPC has at most 256 IPv6 /64 subnets');
  const [address] = block.split('/');
  const [head, tail = ''] = address!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right].map((g) =>
    Number.parseInt(g, 16),
  );
  groups[3] = (groups[3]! & 0xff00) | n;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

function nameTag(resourceType: string, name: string) {
  return [{ ResourceType: resourceType, Tags: [{ Key: 'Name', Value: name }] }];
}

function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
