import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import * as ec2sdk from '@aws-sdk/client-ec2';
import * as eventsSdk from '@aws-sdk/client-eventbridge';
import * as resolverSdk from '@aws-sdk/client-route53resolver';
import * as sfnSdk from '@aws-sdk/client-sfn';
import * as snsSdk from '@aws-sdk/client-sns';
import type { DeployedStack } from '../deploy/deploy.js';
import type { SimAccount } from '../index.js';
import type { Ec2Service } from '../services/ec2/service.js';
import { ec2ThrottlePolicy } from '../services/ec2/throttle.js';
import type { BusEvent, EventsService } from '../services/events.js';
import type { LambdaService } from '../services/lambda/service.js';
import {
  durationMs,
  parseTopology,
  readStepJson,
  ScenarioError,
  type ScenarioStep,
  type TopologyInput,
} from './scenario.js';

const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };
const SDKS = {
  ec2: ec2sdk,
  route53resolver: resolverSdk,
  dynamodb: dynamodbSdk,
  events: eventsSdk,
  sfn: sfnSdk,
  sns: snsSdk,
};
type SdkName = keyof typeof SDKS;
// biome-ignore lint/suspicious/noExplicitAny: commands are looked up by name from each SDK module
type AnyClient = { send(command: any): Promise<any> };

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

/** What the drill works with while it plays one scenario. */
export class DrillWorld {
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
  private clients = new Map<SdkName, AnyClient>();
  /** Tells this run's names and CreatorRequestIds from an earlier run's on an endpoint the drill does not reset. */
  readonly runId: string;

  constructor(
    readonly sim: SimAccount,
    readonly stack: DeployedStack,
    readonly root: string,
    runId?: string,
  ) {
    this.runId = runId ?? crypto.randomUUID().slice(0, 8);
  }

  /**
   * Removes, best effort, what this run made on an endpoint the drill does not reset: the product's
   * and the topology's Resolver rules (disassociated first) and endpoints, the instances (terminated),
   * the route tables, security groups and the deployment's state table. The product finds tables,
   * instances and rules by tag, so leftovers would join the next scenario. Returns what could not go.
   */
  async cleanup(): Promise<string[]> {
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
    const table = this.stack.resources?.find((r) => r.logicalId === 'StateTable')?.physicalId;
    if (table) await attempt(`table ${table}`, () => this.call('dynamodb:DeleteTable', { TableName: table }));
    return failures;
  }

  client(service: SdkName): AnyClient {
    let client = this.clients.get(service);
    if (!client) {
      const sdk = SDKS[service] as Record<string, unknown>;
      const ctor = Object.entries(sdk).find(([k]) => k.endsWith('Client') && !k.includes('Service'))?.[1] as new (
        c: object,
      ) => AnyClient;
      client = new ctor({
        endpoint: this.sim.endpoint,
        region: 'eu-west-2',
        credentials,
        customUserAgent: 'cgw-drill',
      });
      this.clients.set(service, client);
    }
    return client;
  }

  /** Calls `service:Action` with the real SDK, as an operator's script would. */
  // biome-ignore lint/suspicious/noExplicitAny: responses are read by field name, as a script would
  async call(target: string, params: Record<string, unknown> = {}): Promise<any> {
    const [service, action] = target.split(':') as [string, string | undefined];
    if (!(service in SDKS) || !action)
      throw new ScenarioError(
        `aws.call ${target}: expected service:Action with service one of ${Object.keys(SDKS).join(', ')}`,
      );
    const Command = (SDKS[service as SdkName] as Record<string, unknown>)[`${action}Command`] as
      | (new (
          input: object,
        ) => object)
      | undefined;
    if (!Command) throw new ScenarioError(`aws.call ${target}: the ${service} SDK has no ${action} action`);
    return this.client(service as SdkName).send(new Command(params));
  }

  ref(kind: keyof Names, name: string): string {
    const id = this.names[kind][name];
    if (!id)
      throw new ScenarioError(
        `no ${kind} named ${name} in the topology (known: ${Object.keys(this.names[kind]).join(', ') || 'none'})`,
      );
    return id;
  }

  stateMachineArn(logicalId: string): string {
    const arn = this.stack.physical[logicalId];
    if (!arn?.includes(':stateMachine:')) throw new ScenarioError(`template.yaml has no state machine ${logicalId}`);
    return arn;
  }

  /** Replaces `{{kind.name}}` in every string of a value with the id it stands for. */
  fill<T>(value: T): T {
    if (typeof value === 'string') {
      return value.replace(
        /\{\{\s*([a-zA-Z]+)(?:\.([^}\s]+))?\s*\}\}/g,
        (_, kind: string, name: string | undefined) => {
          if (kind === 'now') return this.sim.clock.iso();
          if (name === undefined)
            throw new ScenarioError(`unknown reference {{${kind}}} (use {{now}} or {{kind.name}})`);
          if (kind === 'stateMachine') return this.stateMachineArn(name);
          if (kind === 'resource') {
            // The resource's Ref: a table's name, a topic's ARN, a function's name.
            const id = this.stack.resources.find((r) => r.logicalId === name)?.physicalId;
            if (!id) throw new ScenarioError(`template.yaml has no resource ${name} in this deployment`);
            return id;
          }
          if (!(kind in this.names)) throw new ScenarioError(`unknown reference {{${kind}.${name}}}`);
          return this.ref(kind as keyof Names, name);
        },
      ) as T;
    }
    if (Array.isArray(value)) return value.map((v) => this.fill(v)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.fill(v)])) as T;
    }
    return value;
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

  /** Runs one timeline step. */
  async step(step: ScenarioStep): Promise<string> {
    if ('putEvent' in step) return this.putEvent(step.putEvent);
    if ('aws' in step) {
      await this.call(step.aws.call, this.fill(step.aws.params));
      return `called ${step.aws.call}`;
    }
    if ('terminate' in step) return this.instanceCall('TerminateInstances', step.terminate);
    if ('stop' in step) return this.instanceCall('StopInstances', step.stop);
    if ('start' in step) return this.instanceCall('StartInstances', step.start);
    if ('impair' in step) {
      this.ec2().impairInstance(this.ref('instance', step.impair));
      return `status checks of ${step.impair} fail`;
    }
    if ('restore' in step) {
      this.ec2().restoreInstance(this.ref('instance', step.restore));
      return `status checks of ${step.restore} pass again`;
    }
    if ('replaceInstance' in step) return this.replaceInstance(step.replaceInstance.name, step.replaceInstance.as);
    if ('fault' in step) {
      this.sim.faults.add(step.fault);
      return `fault on ${step.fault.service}${step.fault.action ? `:${step.fault.action}` : ''}: ${JSON.stringify(step.fault)}`;
    }
    if ('throttle' in step) {
      this.sim.faults.throttle(ec2ThrottlePolicy);
      return 'EC2 request throttling (token buckets) on';
    }
    if ('clearFaults' in step) {
      this.sim.faults.clear(step.clearFaults === 'all' ? undefined : step.clearFaults);
      return `faults cleared (${step.clearFaults})`;
    }
    if ('advance' in step) {
      this.sim.clock.advance(durationMs(step.advance));
      return `time advanced ${step.advance} to ${this.sim.clock.iso()}`;
    }
    if ('startExecution' in step) {
      const spec = step.startExecution;
      const input = spec.inputFile
        ? readStepJson(this.root, spec.inputFile, 'startExecution.inputFile')
        : (spec.input ?? {});
      const { executionArn } = await this.call('sfn:StartExecution', {
        stateMachineArn: this.stateMachineArn(spec.stateMachine),
        ...(spec.name ? { name: spec.name } : {}),
        input: JSON.stringify(this.fill(input)),
      });
      return `operator started ${spec.stateMachine} (${String(executionArn).split(':').pop()})`;
    }
    if ('stopExecution' in step) {
      const { stateMachine, name } = step.stopExecution;
      const executionArn = `${this.stateMachineArn(stateMachine).replace(':stateMachine:', ':execution:')}:${name}`;
      await this.call('sfn:StopExecution', { executionArn, error: 'Operator.Stopped', cause: 'stopped by the drill' });
      return `operator stopped ${stateMachine} (${name})`;
    }
    if ('dns' in step) {
      const d = step.dns;
      for (const record of d.set ?? []) this.setDns(record);
      for (const name of d.remove ?? []) this.sim.dns.removeName(name);
      if (d.fault) this.sim.dns.fault(d.fault.name, d.fault.mode === 'none' ? undefined : d.fault.mode);
      if (d.down !== undefined) this.sim.dns.setTunnelDown(d.down);
      return `vendor DNS: ${JSON.stringify(d)}`;
    }
    if ('replay' in step) {
      const events = this.sim.service<EventsService>('events');
      const last = events.events.findLast((e) => e['detail-type'] === step.replay.detailType);
      if (!last) throw new ScenarioError(`replay: no "${step.replay.detailType}" event was published yet`);
      events.publish(structuredClone(last));
      return `EventBridge delivered ${last.source} / ${last['detail-type']} again (same id ${last.id})`;
    }
    if ('tunnels' in step) return this.setTunnels(step.tunnels.instance, step.tunnels.state, step.tunnels.report);
    if ('vendorPort' in step) {
      const { address, port, open } = step.vendorPort;
      this.sim.network.setVendorPort(address, port, open);
      return `vendor port ${address}:${port} ${open ? 'open' : 'closed'}`;
    }
    if ('invoke' in step) {
      const arn = this.stack.physical[step.invoke.function];
      if (!arn?.includes(':function:'))
        throw new ScenarioError(`template.yaml has no function ${step.invoke.function}`);
      const result = await this.sim.service<LambdaService>('lambda').invoke(arn, this.fill(step.invoke.input));
      if (result.functionError)
        throw new ScenarioError(`${step.invoke.function} failed: ${JSON.stringify(result.payload)}`);
      return `operator invoked ${step.invoke.function}`;
    }
    return `note: ${step.note}`;
  }

  /** The tunnels of a gateway go up or down, and its agent reports it as it would on the updown hook. */
  private async setTunnels(name: string, state: 'up' | 'down', report: boolean): Promise<string> {
    const instanceId = this.ref('instance', name);
    this.sim.network.setTunnels(instanceId, state === 'up');
    if (!report) return `tunnels of ${name} ${state} (not reported)`;
    const { Reservations } = await this.call('ec2:DescribeInstances', { InstanceIds: [instanceId] });
    const tags = (Reservations[0].Instances[0].Tags ?? []) as { Key: string; Value: string }[];
    const group = tags.find((t) => t.Key === 'cgw-autopilot:group')?.Value;
    if (!group) throw new ScenarioError(`tunnels: ${name} has no cgw-autopilot:group tag, so no agent would report`);
    await this.call('events:PutEvents', {
      Entries: [
        {
          Source: 'cgw-autopilot.agent',
          DetailType: 'Gateway Tunnel State',
          Detail: JSON.stringify({
            group,
            instanceId,
            tunnels: [
              { name: 'tunnel1', status: state },
              { name: 'tunnel2', status: state },
            ],
            bgp: state,
            reportedAt: this.sim.clock.iso(),
            reason: 'updown',
          }),
          Time: new Date(this.sim.clock.now()),
        },
      ],
    });
    return `tunnels of ${name} ${state}; its agent reported it`;
  }

  private ec2(): Ec2Service {
    return this.sim.service<Ec2Service>('ec2');
  }

  private setDns(record: { name: string; cname?: string | undefined; a?: string[] | undefined; ttl: number }): void {
    if (record.cname) this.sim.dns.setCname(record.name, record.cname, record.ttl);
    if (record.a) this.sim.dns.setA(record.name, record.a, record.ttl);
  }

  private async launch(
    name: string,
    subnet: string,
    tags: Record<string, string>,
    sourceDestCheck: boolean,
  ): Promise<void> {
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
  private async waitForTransitions(): Promise<void> {
    const { pending } = this.ec2().world.delays;
    if (pending > 0) this.sim.clock.advance(pending);
  }

  private async instanceCall(
    action: 'TerminateInstances' | 'StopInstances' | 'StartInstances',
    name: string,
  ): Promise<string> {
    await this.call(`ec2:${action}`, { InstanceIds: [this.ref('instance', name)] });
    return `${action} ${name}`;
  }

  /**
   * What a CloudFormation stack update does to the gateway: a new instance with the old one's
   * subnet and tags, then the old one terminated, then the stack's resource status event.
   */
  private async replaceInstance(name: string, as: string): Promise<string> {
    const oldId = this.ref('instance', name);
    const { Reservations } = await this.call('ec2:DescribeInstances', { InstanceIds: [oldId] });
    const old = Reservations[0].Instances[0];
    const tags = Object.fromEntries(
      (old.Tags ?? [])
        .filter((t: { Key: string }) => t.Key !== 'Name')
        .map((t: { Key: string; Value: string }) => [t.Key, t.Value]),
    );
    const subnetName = Object.entries(this.names.subnet).find(([, id]) => id === old.SubnetId)?.[0];
    if (!subnetName) throw new ScenarioError(`replaceInstance ${name}: its subnet is not in the topology`);
    await this.launch(as, subnetName, tags, true);
    await this.waitForTransitions();
    await this.call('ec2:TerminateInstances', { InstanceIds: [oldId] });
    // The gateway stack of the template's default GatewayStackName, as CloudFormation reports the replacement.
    const stackId =
      'arn:aws:cloudformation:eu-west-2:123456789012:stack/vpn-gateway-strongswan/11111111-2222-3333-4444-555555555555';
    this.publishServiceEvent({
      source: 'aws.cloudformation',
      'detail-type': 'CloudFormation Resource Status Change',
      resources: [stackId],
      detail: {
        'stack-id': stackId,
        'logical-resource-id': 'VpnGatewayInstance',
        'physical-resource-id': this.ref('instance', as),
        'status-details': {
          status: 'UPDATE_COMPLETE',
          'status-reason': 'Requested update requires the creation of a new physical resource',
        },
        'resource-type': 'AWS::EC2::Instance',
      },
    });
    return `stack update replaced ${name} (${oldId}) with ${as} (${this.ref('instance', as)})`;
  }

  /** An event an AWS service emits on the default bus (sources aws.* cannot be put with PutEvents). */
  publishServiceEvent(partial: Partial<BusEvent> & Pick<BusEvent, 'source' | 'detail-type' | 'detail'>): BusEvent {
    const events = this.sim.service<EventsService>('events');
    return events.publish({
      version: '0',
      id: crypto.randomUUID(),
      account: '123456789012',
      region: 'eu-west-2',
      time: this.sim.clock.iso().replace(/\.\d{3}Z$/, 'Z'),
      resources: [],
      ...partial,
    });
  }

  private async putEvent(spec: {
    sample?: string | undefined;
    event?: Record<string, unknown> | undefined;
    set: Record<string, unknown>;
  }): Promise<string> {
    if (!spec.sample === !spec.event) throw new ScenarioError('putEvent needs exactly one of sample or event');
    const base = spec.sample ? readStepJson(this.root, spec.sample, 'putEvent.sample') : structuredClone(spec.event);
    const event = this.fill(base) as Record<string, unknown>;
    event.time = this.sim.clock.iso().replace(/\.\d{3}Z$/, 'Z');
    for (const [path, value] of Object.entries(this.fill(spec.set))) setPath(event, path, value);
    const label = `${String(event.source)} / ${String(event['detail-type'])}${spec.sample ? ` (${spec.sample})` : ''}`;
    if (String(event.source).startsWith('aws.')) {
      this.publishServiceEvent(event as unknown as BusEvent);
      return `AWS emitted ${label}`;
    }
    const result = await this.call('events:PutEvents', {
      Entries: [
        {
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail ?? {}),
          Resources: event.resources ?? [],
          Time: new Date(this.sim.clock.now()),
        },
      ],
    });
    if (result.FailedEntryCount)
      throw new ScenarioError(`PutEvents refused ${label}: ${JSON.stringify(result.Entries)}`);
    return `PutEvents ${label}`;
  }

  private destination(text: string): Record<string, string> {
    if (text.startsWith('prefixList:'))
      return { DestinationPrefixListId: this.ref('prefixList', text.slice('prefixList:'.length)) };
    return text.includes(':') ? { DestinationIpv6CidrBlock: text } : { DestinationCidrBlock: text };
  }

  private target(target: {
    instance?: string | undefined;
    eniOf?: string | undefined;
    internetGateway?: string | undefined;
    transitGateway?: string | undefined;
    vpnGateway?: string | undefined;
    peeringConnection?: string | undefined;
  }): Record<string, string> {
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
  expectedTarget(target: Parameters<DrillWorld['target']>[0]): Record<string, string> {
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

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}
