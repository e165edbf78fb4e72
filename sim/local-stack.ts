import { resolve } from 'node:path';
import { readSamDefaults } from '../cli/samconfig.js';
import { type DeployedStack, deployTemplate } from './deploy/deploy.js';
import { settle } from './drill/runner.js';
import type { TopologyInput } from './drill/scenario.js';
import { Topology } from './drill/topology.js';
import { DrillWorld } from './drill/world.js';
import type { SimAccount } from './index.js';

/** The gateway group of the demo topology (the template's default GroupName). */
export const DEMO_GROUP = 'vendor-vpn';
/** The vendor's range the demo routes manage. */
export const DEMO_VENDOR_CIDR = '10.200.0.0/16';
/** The vendor database name the demo's resolver reconciler tracks, and its CNAME target. */
export const DEMO_TRACKED_NAME = 'db.vendor.example';
const DEMO_DB_HOST = 'ip-10-200-1-10.vendor.internal';

/**
 * A small account to rehearse in: one VPC, two gateway instances of the group (cgw-a preferred),
 * two private route tables whose vendor route points at cgw-a, an outbound Resolver endpoint, and
 * the vendor's DNS zone (a database name that CNAMEs to a host in the vendor's range).
 */
export const DEMO_TOPOLOGY: TopologyInput = {
  vpcs: [
    {
      name: 'app',
      cidr: '10.0.0.0/16',
      subnets: [
        { name: 'gw-a', cidr: '10.0.0.0/24' },
        { name: 'gw-b', cidr: '10.0.1.0/24' },
        { name: 'private-a', cidr: '10.0.10.0/24' },
        { name: 'private-b', cidr: '10.0.11.0/24' },
      ],
    },
  ],
  instances: [
    {
      name: 'cgw-a',
      subnet: 'app.gw-a',
      tags: { 'cgw-autopilot:group': DEMO_GROUP, 'cgw-autopilot:priority': '1' },
      sourceDestCheck: false,
    },
    {
      name: 'cgw-b',
      subnet: 'app.gw-b',
      tags: { 'cgw-autopilot:group': DEMO_GROUP, 'cgw-autopilot:priority': '2' },
      sourceDestCheck: false,
    },
  ],
  routeTables: ['a', 'b'].map((x) => ({
    name: `private-${x}`,
    vpc: 'app',
    tags: { 'cgw-autopilot:managed': 'true' },
    subnets: [`private-${x}`],
    routes: [{ destination: DEMO_VENDOR_CIDR, target: { eniOf: 'cgw-a' } }],
  })),
  resolverEndpoints: [{ name: 'outbound', subnets: ['app.private-a', 'app.private-b'] }],
  dns: [
    { name: DEMO_TRACKED_NAME, cname: DEMO_DB_HOST, ttl: 60 },
    { name: DEMO_DB_HOST, a: ['10.200.1.10'], ttl: 60 },
    { name: 'app.vendor.example', a: ['10.200.0.10'], ttl: 60 },
  ],
};

/** What the agent on one gateway reports, as the demo's simulated heartbeat sends it. */
export type AgentTunnels = 'up' | 'down';

export interface LocalStackOptions {
  /** The project folder (template.yaml, events/). */
  root: string;
  templatePath?: string;
  /** Stack name; default: samconfig.toml's, else cgw-autopilot. */
  stackName?: string;
  /** Seconds between agent heartbeats (simulated time); 0 sends none after the first. */
  heartbeatSeconds?: number;
}

/** The deployed product on the simulated account, with the demo topology and its agents. */
export class LocalStack {
  private stopHeartbeat?: () => void;
  /** What each gateway's simulated agent reports (the control API changes it). */
  readonly tunnels: Record<string, AgentTunnels> = {};
  /** Each agent's boot id and the sequence number of its last report (reports are ordered by them). */
  private readonly boots = new Map<string, { bootId: string; sequence: number }>();

  constructor(
    readonly sim: SimAccount,
    readonly world: DrillWorld,
    readonly stack: DeployedStack,
  ) {}

  /** Sends one agent report per running gateway of the group, as the agent on each would. */
  async heartbeat(reason: 'heartbeat' | 'updown' | 'boot' = 'heartbeat'): Promise<void> {
    const { Reservations } = await this.world.call('ec2:DescribeInstances', {
      Filters: [
        { Name: 'tag:cgw-autopilot:group', Values: [DEMO_GROUP] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });
    const instances = (Reservations ?? []).flatMap((r: { Instances?: { InstanceId: string }[] }) => r.Instances ?? []);
    if (instances.length === 0) return;
    const at = this.sim.clock.iso().replace(/\.\d{3}Z$/, 'Z');
    const entries = instances.map((i: { InstanceId: string }) => {
      const name = this.world.nameOf(i.InstanceId)?.replace(/^instance:/, '') ?? i.InstanceId;
      const status = this.tunnels[name] ?? 'up';
      const boot = this.boots.get(i.InstanceId) ?? { bootId: crypto.randomUUID(), sequence: 0 };
      boot.sequence++;
      this.boots.set(i.InstanceId, boot);
      return {
        Source: 'cgw-autopilot.agent',
        DetailType: 'Gateway Tunnel State',
        Resources: [`arn:aws:ec2:eu-west-2:123456789012:instance/${i.InstanceId}`],
        Detail: JSON.stringify({
          group: DEMO_GROUP,
          instanceId: i.InstanceId,
          tunnels: [
            { name: 'tunnel1', status },
            { name: 'tunnel2', status },
          ],
          bgp: status,
          reportedAt: at,
          bootId: boot.bootId,
          sequence: boot.sequence,
          reason,
        }),
        Time: new Date(this.sim.clock.now()),
      };
    });
    // PutEvents takes at most 10 entries a call.
    for (let i = 0; i < entries.length; i += 10) {
      await this.world.call('events:PutEvents', { Entries: entries.slice(i, i + 10) });
    }
  }

  /** Keeps the agents reporting every `seconds` of simulated time. */
  startHeartbeat(seconds: number): void {
    this.stopHeartbeat?.();
    if (seconds <= 0) return;
    let cancel: () => void = () => undefined;
    let stopped = false;
    const next = () => {
      cancel = this.sim.clock.schedule(this.sim.clock.now() + seconds * 1000, () => {
        if (stopped) return;
        this.heartbeat().catch((err: unknown) => console.error(`[sim] agent heartbeat failed: ${String(err)}`));
        next();
      });
    };
    next();
    this.stopHeartbeat = () => {
      stopped = true;
      cancel();
    };
  }

  /** The control route /_sim/agents: GET the tunnels each agent reports, POST {"instance": "cgw-a", "tunnels": "down"}. */
  async control(method: string, body: unknown): Promise<unknown> {
    if (method === 'POST') {
      const { instance, tunnels } = (body ?? {}) as { instance?: unknown; tunnels?: unknown };
      if (typeof instance !== 'string' || !(instance in this.world.names.instance)) {
        throw new Error(
          `POST /_sim/agents needs {"instance": <${Object.keys(this.world.names.instance).join(' | ')}>, "tunnels": "up" | "down"}`,
        );
      }
      if (tunnels !== 'up' && tunnels !== 'down') throw new Error('"tunnels" must be "up" or "down"');
      this.tunnels[instance] = tunnels;
      await this.heartbeat('updown');
    }
    return Object.fromEntries(Object.keys(this.world.names.instance).map((name) => [name, this.tunnels[name] ?? 'up']));
  }

  stop(): void {
    this.stopHeartbeat?.();
  }
}

/**
 * Builds the demo topology, deploys template.yaml into the account (with the resolver reconciler
 * pointed at the demo's endpoint and the account's vendor DNS server), registers the stack with
 * CloudFormation, and starts the agents' heartbeat.
 */
export async function deployLocalStack(sim: SimAccount, options: LocalStackOptions): Promise<LocalStack> {
  const templatePath = resolve(options.templatePath ?? resolve(options.root, 'template.yaml'));
  const stackName = options.stackName ?? readSamDefaults(options.root).stackName ?? 'cgw-autopilot';
  const topology = new Topology(sim);
  await topology.build(DEMO_TOPOLOGY);
  const stack = await deployTemplate({
    templatePath,
    sim,
    stackName,
    parameterOverrides: {
      GroupName: DEMO_GROUP,
      VendorCidrs: DEMO_VENDOR_CIDR,
      ResolverTrackedNames: DEMO_TRACKED_NAME,
      VendorDnsTargets: sim.dns.servers().join(','),
      OutboundResolverEndpointId: topology.names.endpoint.outbound!,
      ResolverVpcIds: topology.names.vpc.app!,
      // The chain walker runs in the private subnets, reaching the vendor DNS through the tunnel.
      ResolverSubnetIds: `${topology.names.subnet['app.private-a']},${topology.names.subnet['app.private-b']}`,
      ResolverSecurityGroupVpcId: topology.names.vpc.app!,
      ResolverDnsEgressCidr: DEMO_VENDOR_CIDR,
    },
  });
  const world = new DrillWorld(sim, stack, options.root, topology);
  const local = new LocalStack(sim, world, stack);
  sim.addControlRoute('agents', (method, _subpath, body) => local.control(method, body));
  await local.heartbeat('boot');
  await settle(sim);
  local.startHeartbeat(options.heartbeatSeconds ?? 60);
  return local;
}
