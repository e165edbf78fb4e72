import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createConnection, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DeployedStack, deployTemplate } from '../sim/deploy/deploy.js';
import type { ExpectationResult } from '../sim/drill/expect.js';
import { renderScenario } from '../sim/drill/report.js';
import type { ScenarioResult } from '../sim/drill/runner.js';
import { parseTopology } from '../sim/drill/scenario.js';
import { collectTimeline, TimelineCursor } from '../sim/drill/timeline.js';
import { DrillWorld } from '../sim/drill/world.js';
import { type SimAccount, startSim } from '../sim/index.js';
import { takeLabLock } from './lock.js';
import { LabProcesses, labUnavailable, removeLeftovers, run, TUNNELS, waitFor } from './network.js';
import { buildSite, type Site, siteUp, startSite } from './site.js';

// The VPN lab: real strongSwan and FRR in network namespaces, the real gateway agent publishing to the
// simulated account, where the product is deployed as the drill deploys it. Each fault is played on
// the real daemons; its expectation is on the routes in the simulated account, and its timeline is
// printed as the drill prints one. Everything waits by polling with deadlines.

const ROOT = resolve(import.meta.dirname, '..');
const credentials = { AWS_ACCESS_KEY_ID: 'AKIDSIMULATED', AWS_SECRET_ACCESS_KEY: 'simulated-secret' };

/**
 * The product's parameters in the lab: the vendor's network (as the drill sets it), and the defaults
 * except that back-to-back faults need no cooldown.
 */
export const LAB_PARAMETERS = { VendorCidrs: '10.200.0.0/16', CooldownSeconds: '0' };

export interface FaultResult {
  name: string;
  description: string;
  ok: boolean;
  /** Seconds from the fault to the last managed route switched, for faults that switch. */
  faultToRouteSeconds?: number;
  /** Seconds from the fault to the first agent report the simulated account received after it. */
  faultToReportSeconds?: number;
  expectations: ExpectationResult[];
  rendered: string;
}

export interface LabResult {
  ok: boolean;
  faults: FaultResult[];
  seconds: number;
  setupSeconds: number;
  error?: string;
}

export interface LabOptions {
  /** Fault names to play (default: all). */
  only?: string[];
  /** Print each fault's timeline as it finishes. */
  log?: (text: string) => void;
  /** Keep the lab's folder (configuration and daemon logs) after the run. */
  keep?: boolean;
  /** How the agents send: the AWS CLI v2 (default) or curl's SigV4. */
  sender?: 'cli' | 'curl';
}

/** Keeps simulated time in step with wall-clock time (agents stamp reports with the real clock). */
function followWallClock(sim: SimAccount): () => void {
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now > last) sim.clock.advance(now - last);
    last = now;
  }, 50);
  return () => clearInterval(timer);
}

/** Forwards TCP from the gateway's management link to the simulated account on loopback. */
function forward(host: string, port: number, to: URL): Promise<TcpServer> {
  const server = createTcpServer((socket) => {
    const upstream = createConnection({ host: to.hostname, port: Number(to.port) });
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((done, fail) => server.listen(port, host, () => done(server)).once('error', fail));
}

/** IMDSv2 as EC2 answers it: a session token first (PUT), then reads with the token. */
function imds(host: string, port: number, identity: { instanceId: string }): Promise<Server> {
  const tokens = new Set<string>();
  const server = createHttpServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      const token = randomUUID();
      tokens.add(token);
      res.end(token);
      return;
    }
    if (!tokens.has(String(req.headers['x-aws-ec2-metadata-token']))) {
      res.statusCode = 401;
      res.end();
      return;
    }
    const answers: Record<string, string> = {
      '/latest/meta-data/instance-id': identity.instanceId,
      '/latest/meta-data/placement/region': 'eu-west-2',
    };
    const answer = answers[req.url ?? ''];
    res.statusCode = answer === undefined ? 404 : 200;
    res.end(answer ?? '');
  });
  return new Promise((done, fail) => server.listen(port, host, () => done(server)).once('error', fail));
}

const TOPOLOGY = {
  vpcs: [
    {
      name: 'app',
      cidr: '10.0.0.0/16',
      subnets: [
        { name: 'gw', cidr: '10.0.0.0/24' },
        { name: 'a', cidr: '10.0.1.0/24' },
        { name: 'b', cidr: '10.0.2.0/24' },
      ],
    },
  ],
  instances: [
    {
      name: 'cgw-a',
      subnet: 'app.gw',
      sourceDestCheck: false,
      tags: { 'cgw-autopilot:group': 'vendor-vpn', 'cgw-autopilot:priority': '1' },
    },
    {
      name: 'cgw-b',
      subnet: 'app.gw',
      sourceDestCheck: false,
      tags: { 'cgw-autopilot:group': 'vendor-vpn', 'cgw-autopilot:priority': '2' },
    },
  ],
  routeTables: [
    {
      name: 'private-a',
      vpc: 'app',
      subnets: ['a'],
      tags: { 'cgw-autopilot:managed': 'true' },
      routes: [{ destination: '10.200.0.0/16', target: { eniOf: 'cgw-a' } }],
    },
    {
      name: 'private-b',
      vpc: 'app',
      subnets: ['b'],
      tags: { 'cgw-autopilot:managed': 'true' },
      routes: [{ destination: '10.200.0.0/16', target: { eniOf: 'cgw-a' } }],
    },
  ],
};

/** Everything one lab run works with. */
class Lab {
  readonly processes: LabProcesses;
  readonly sites = new Map<string, Site>();
  private servers: (Server | TcpServer)[] = [];
  cursor!: TimelineCursor;
  world!: DrillWorld;
  stopClock: () => void = () => undefined;

  constructor(
    readonly sim: SimAccount,
    dir: string,
    readonly sender: 'cli' | 'curl' = 'cli',
  ) {
    this.processes = new LabProcesses(dir);
  }

  async deploy(): Promise<void> {
    await this.sim.reset();
    this.sim.clock.reset(Date.now());
    const stack: DeployedStack = await deployTemplate({
      templatePath: resolve(ROOT, 'template.yaml'),
      sim: this.sim,
      parameterOverrides: LAB_PARAMETERS,
    });
    this.world = new DrillWorld(this.sim, stack, ROOT);
    await this.world.build(parseTopology(TOPOLOGY));
    this.stopClock = followWallClock(this.sim);
    this.cursor = new TimelineCursor(this.sim);
  }

  /** Builds and starts a site; its agent is started separately, once its instance exists. */
  async addSite(name: string, index: number): Promise<Site> {
    const site = buildSite(this.processes, name, index);
    this.sites.set(name, site);
    await startSite(site);
    return site;
  }

  site(name: string): Site {
    return this.sites.get(name)!;
  }

  /** Starts the real agent in the gateway's namespace, as its systemd unit would (new boot id each time). */
  async startAgent(siteName: string, instanceName: string): Promise<void> {
    const site = this.site(siteName);
    const instanceId = this.world.ref('instance', instanceName);
    const { mgmtRoot } = site.addresses;
    const endpoint = new URL(this.sim.endpoint);
    if (!this.servers.some((s) => (s.address() as { address?: string } | null)?.address === mgmtRoot)) {
      this.servers.push(await forward(mgmtRoot, 4566, endpoint));
    }
    this.servers.push(await imds(mgmtRoot, 0, { instanceId }).then((server) => server));
    const imdsPort = (this.servers.at(-1)!.address() as { port: number }).port;
    const home = join(site.gateway.dir, 'home');
    run(['mkdir', '-p', home]);
    const bootIdFile = join(site.gateway.dir, 'boot_id');
    writeFileSync(bootIdFile, randomUUID());
    this.processes.start(
      `${site.gateway.name}-agent`,
      site.gateway.ns,
      `exec /bin/sh ${join(ROOT, 'gateway/cgw-agent')} run`,
      {
        HOME: home,
        CGW_CONFIG: '/nonexistent',
        CGW_GROUP: 'vendor-vpn',
        CGW_TUNNELS: TUNNELS.join(' '),
        CGW_IPSEC: 'swanctl',
        CGW_SWANCTL_URI: site.gateway.vici,
        CGW_BGP: 'frr',
        CGW_VTYSH: `vtysh --vty_socket ${site.gateway.frrDir}`,
        CGW_BFD: '1',
        CGW_RUN_DIR: join(site.gateway.runDir, 'cgw-agent'),
        CGW_BOOT_ID_FILE: bootIdFile,
        CGW_IMDS: `http://${mgmtRoot}:${imdsPort}`,
        CGW_ENDPOINT_URL: `http://${mgmtRoot}:4566`,
        CGW_AWS: '/usr/bin/aws',
        CGW_SENDER: this.sender,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        ...credentials,
      },
    );
  }

  async stopAgent(siteName: string): Promise<void> {
    await this.processes.stop(`${this.site(siteName).gateway.name}-agent`);
  }

  /** The target ENI of every managed route, by table name. */
  async routeTargets(): Promise<string[]> {
    const targets: string[] = [];
    for (const id of Object.values(this.world.names.routeTable)) {
      const { RouteTables } = await this.world.call('ec2:DescribeRouteTables', { RouteTableIds: [id] });
      const route = (
        RouteTables[0].Routes as { DestinationCidrBlock?: string; NetworkInterfaceId?: string; State?: string }[]
      ).find((r) => r.DestinationCidrBlock === '10.200.0.0/16');
      targets.push(`${this.world.nameOf(route?.NetworkInterfaceId) ?? route?.NetworkInterfaceId}:${route?.State}`);
    }
    return targets;
  }

  async routesOn(instance: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const targets = await this.routeTargets();
      if (targets.every((t) => t === `eni:${instance}:active`)) return;
      if (Date.now() > deadline)
        throw new Error(`routes not on ${instance} after ${timeoutMs / 1000} s: ${targets.join(', ')}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /** The latest report the product recorded for an instance (from the state table). */
  async recordedReport(
    instanceName: string,
  ): Promise<{ tunnels: { status: string }[]; bgp: string; sequence: number } | null> {
    const table = this.world.stack.physical.StateTable!.split('/').pop()!;
    const { Item } = await this.world.call('dynamodb:GetItem', {
      TableName: table,
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: `agent#${this.world.ref('instance', instanceName)}` } },
      ConsistentRead: true,
    });
    if (!Item) return null;
    return {
      tunnels: (Item.tunnels?.L ?? []).map((t: { M: { status: { S: string } } }) => ({ status: t.M.status.S })),
      bgp: Item.bgp?.S,
      sequence: Number(Item.sequence?.N),
    };
  }

  /** Waits until the product has recorded the instance's report with every tunnel and BGP up. */
  async reportedFullyUp(instanceName: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = await this.recordedReport(instanceName);
      if (report && report.bgp === 'up' && report.tunnels.length > 0 && report.tunnels.every((t) => t.status === 'up'))
        return;
      if (Date.now() > deadline)
        throw new Error(`${instanceName} not reported fully up after ${timeoutMs / 1000} s: ${JSON.stringify(report)}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /** When the first agent report of a failure of `instance` (tunnels or BGP down) since a mark was answered. */
  firstFailureReportAt(since: number, instance: string): number | undefined {
    const instanceId = this.world.ref('instance', instance);
    const reportsFailure = (entry: { Detail?: string }) => {
      try {
        const detail = JSON.parse(entry.Detail ?? '{}') as {
          instanceId?: string;
          bgp?: string;
          tunnels?: { status: string }[];
        };
        return (
          detail.instanceId === instanceId &&
          (detail.bgp === 'down' || (detail.tunnels ?? []).some((t) => t.status === 'down'))
        );
      } catch {
        return false;
      }
    };
    return this.sim.log
      .all({ since, service: 'events', action: 'PutEvents' })
      .find((r) => !r.byDrill && ((r.params as { Entries?: { Detail?: string }[] }).Entries ?? []).some(reportsFailure))
      ?.end;
  }

  /** ReplaceRoute/CreateRoute calls by the product since a request-log mark, with their wall-clock time. */
  routeChanges(since: number): { at: number; target: string }[] {
    return this.sim.log
      .all({ since, product: true, service: 'ec2' })
      .filter((r) => (r.action === 'ReplaceRoute' || r.action === 'CreateRoute') && r.outcome === 'ok')
      .map((r) => ({
        at: r.end,
        target: this.world.nameOf((r.params as { NetworkInterfaceId?: string }).NetworkInterfaceId) ?? '?',
      }));
  }

  /** The reasons of the last executions' decisions, newest first (to explain a failed expectation). */
  async lastDecisions(count: number): Promise<string> {
    const { executions } = await this.world.call('sfn:ListExecutions', {
      stateMachineArn: this.world.stateMachineArn('RouteReconcilerStateMachine'),
    });
    const reasons: string[] = [];
    for (const execution of executions.slice(0, count)) {
      const { output } = await this.world.call('sfn:DescribeExecution', { executionArn: execution.executionArn });
      const parsed = output ? JSON.parse(output) : {};
      reasons.push(`${parsed.decision?.reason ?? parsed.ignored ?? execution.status}`);
    }
    return reasons.join(' | ');
  }

  async operatorFailback(): Promise<void> {
    await this.world.call('sfn:StartExecution', {
      stateMachineArn: this.world.stateMachineArn('RouteReconcilerStateMachine'),
      input: JSON.stringify({ operation: 'failback', requestedBy: 'lab' }),
    });
  }

  async timeline(step: string) {
    return collectTimeline(this.world, this.cursor, step, false);
  }

  async close(): Promise<void> {
    this.stopClock();
    for (const server of this.servers) await new Promise<void>((done) => server.close(() => done()));
    this.servers = [];
    await this.processes.cleanup();
  }
}

/** Drops ESP (UDP 4500 whose first four payload bytes are a non-zero SPI) to and from an address; IKE passes. */
function espRules(action: '-A' | '-D', peer: string): string[][] {
  const esp = ['-m', 'u32', '!', '--u32', '0>>22&0x3C@8=0'];
  return [
    ['iptables', action, 'INPUT', '-s', peer, '-p', 'udp', '--sport', '4500', ...esp, '-j', 'DROP'],
    ['iptables', action, 'OUTPUT', '-d', peer, '-p', 'udp', '--dport', '4500', ...esp, '-j', 'DROP'],
  ];
}

function ok(expected: string, pass: boolean, actual = ''): ExpectationResult {
  return { ok: pass, expected, actual };
}

interface Fault {
  name: string;
  description: string;
  /** Injects the fault on the real daemons; returns what the timeline calls it. */
  play(lab: Lab): Promise<string>;
  /** Waits for the product's reaction and checks it. */
  expect(lab: Lab, since: number, faultAt: number): Promise<{ expectations: ExpectationResult[]; switchedAt?: number }>;
  /** Puts the world back (tunnels and BGP up, routes on cgw-a) for the next fault. */
  restore?(lab: Lab): Promise<string>;
}

/** Expectation of a fault that must move every route to cgw-b. */
async function movesToB(lab: Lab, since: number): Promise<{ expectations: ExpectationResult[]; switchedAt?: number }> {
  let error = '';
  await lab.routesOn('cgw-b').catch((err: Error) => (error = err.message));
  const changes = lab.routeChanges(since);
  return {
    expectations: [
      ok('every managed route active -> eni:cgw-b', error === '', error),
      ok(
        'no route pointed anywhere but cgw-b',
        changes.every((c) => c.target === 'eni:cgw-b'),
        JSON.stringify(changes),
      ),
    ],
    ...(changes.length ? { switchedAt: Math.max(...changes.map((c) => c.at)) } : {}),
  };
}

/** Expectation of a fault that must not switch: cgw-a reported fully up again and the window passed. */
async function staysOnA(lab: Lab, since: number): Promise<{ expectations: ExpectationResult[] }> {
  let error = '';
  await lab.reportedFullyUp('cgw-a').catch((err: Error) => (error = err.message));
  // Past the corroborated confirmation window (4 s) and the executions it started.
  const settleUntil = Date.now() + 6000;
  await waitFor('the confirmation window to pass', () => Date.now() > settleUntil, 20_000);
  const changes = lab.routeChanges(since);
  const targets = await lab.routeTargets();
  return {
    expectations: [
      ok('cgw-a reported its tunnels and BGP up again', error === '', error),
      ok('no route changed', changes.length === 0, JSON.stringify(changes)),
      ok(
        'every managed route still active -> eni:cgw-a',
        targets.every((t) => t === 'eni:cgw-a:active'),
        targets.join(', '),
      ),
    ],
  };
}

/** After a fault on cgw-a: wait until it is back and reported up, then the operator fails back to it. */
async function backToA(lab: Lab): Promise<string> {
  await siteUp(lab.site('a'), 90_000);
  await lab.reportedFullyUp('cgw-a', 60_000);
  await lab.operatorFailback();
  await lab.routesOn('cgw-a');
  return 'cgw-a back up and reported; the operator failed back to cgw-a';
}

export const FAULTS: Fault[] = [
  {
    name: 'ike-terminated',
    description: "the VGW terminates cgw-a's IKE SAs (both tunnels) and refuses them for a while: routes move to cgw-b",
    async play(lab) {
      const { vgw, addresses } = lab.site('a');
      run(['iptables', '-A', 'INPUT', '-s', addresses.gatewayOutside, '-p', 'udp', '-j', 'DROP'], vgw.ns);
      for (const tunnel of TUNNELS) vgw.swanctl('--terminate', '--ike', tunnel, '--force');
      return "VGW deleted cgw-a's IKE SAs (and drops its IKE for now)";
    },
    expect: (lab, since) => movesToB(lab, since),
    async restore(lab) {
      const { vgw, addresses } = lab.site('a');
      run(['iptables', '-D', 'INPUT', '-s', addresses.gatewayOutside, '-p', 'udp', '-j', 'DROP'], vgw.ns);
      return backToA(lab);
    },
  },
  {
    name: 'esp-blackhole',
    description: 'ESP to and from cgw-a dropped while IKE passes: only BFD/BGP sees it; routes move to cgw-b',
    async play(lab) {
      const { vgw, addresses } = lab.site('a');
      for (const rule of espRules('-A', addresses.gatewayOutside)) run(rule, vgw.ns);
      return 'ESP between the VGW and cgw-a dropped, IKE passing';
    },
    expect: (lab, since) => movesToB(lab, since),
    async restore(lab) {
      const { vgw, addresses } = lab.site('a');
      for (const rule of espRules('-D', addresses.gatewayOutside)) run(rule, vgw.ns);
      return backToA(lab);
    },
  },
  {
    name: 'vgw-charon-killed',
    description: "the VGW's charon killed (DPD path): routes move to cgw-b",
    async play(lab) {
      await lab.site('a').vgw.stopCharon('SIGKILL');
      return "VGW's charon for cgw-a killed (SIGKILL)";
    },
    expect: (lab, since) => movesToB(lab, since),
    async restore(lab) {
      await lab.site('a').vgw.startCharon();
      return backToA(lab);
    },
  },
  {
    name: 'gateway-charon-restarted',
    description: "cgw-a's charon restarted: tunnels down for a moment, no switch",
    async play(lab) {
      const { gateway } = lab.site('a');
      await gateway.stopCharon('SIGTERM');
      await gateway.startCharon();
      return "cgw-a's charon restarted";
    },
    expect: (lab, since) => staysOnA(lab, since),
  },
  {
    name: 'tunnel-flap',
    description:
      "the VGW closes cgw-a's IKE SAs and cgw-a re-establishes them at once (a flap shorter than the confirmation window): no switch",
    async play(lab) {
      const { vgw } = lab.site('a');
      for (const tunnel of TUNNELS) vgw.swanctl('--terminate', '--ike', tunnel, '--force');
      return "VGW deleted cgw-a's IKE SAs; cgw-a re-initiates";
    },
    expect: (lab, since) => staysOnA(lab, since),
  },
  {
    name: 'planned-replacement',
    description:
      'a planned replacement of cgw-a: cgw-a2 takes the routes only after its tunnels and BGP are reported up (make before break)',
    async play(lab) {
      // Make: the new instance runs; before its agent reports, a sweep must not choose it.
      const { Instances } = await lab.world.call('ec2:RunInstances', {
        ImageId: 'ami-0a1b2c3d4e5f60718',
        InstanceType: 't4g.small',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: lab.world.ref('subnet', 'app.gw'),
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Name', Value: 'cgw-a2' },
              { Key: 'cgw-autopilot:group', Value: 'vendor-vpn' },
              { Key: 'cgw-autopilot:priority', Value: '1' },
            ],
          },
        ],
      });
      lab.world.names.instance['cgw-a2'] = Instances[0].InstanceId;
      lab.world.names.eni['cgw-a2'] = Instances[0].NetworkInterfaces[0].NetworkInterfaceId;
      await lab.world.call('ec2:ModifyInstanceAttribute', {
        InstanceId: Instances[0].InstanceId,
        SourceDestCheck: { Value: false },
      });
      return 'cgw-a2 launched (its agent not yet started)';
    },
    async expect(lab, since) {
      const expectations: ExpectationResult[] = [];
      // EC2 takes a while to start it (pending, then running); a pending member is not healthy.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { Reservations } = await lab.world.call('ec2:DescribeInstances', {
          InstanceIds: [lab.world.ref('instance', 'cgw-a2')],
        });
        if (Reservations[0].Instances[0].State.Name === 'running') break;
        if (Date.now() > deadline) throw new Error('cgw-a2 not running after 60 s');
        await new Promise((done) => setTimeout(done, 200));
      }
      const { executionArn } = await lab.world.call('sfn:StartExecution', {
        stateMachineArn: lab.world.stateMachineArn('RouteReconcilerStateMachine'),
        input: JSON.stringify({ operation: 'sweep', requestedBy: 'lab' }),
      });
      const sweepDeadline = Date.now() + 60_000;
      for (;;) {
        const { status } = await lab.world.call('sfn:DescribeExecution', { executionArn });
        if (status !== 'RUNNING') break;
        if (Date.now() > sweepDeadline) throw new Error('the sweep did not finish within 60 s');
        await new Promise((done) => setTimeout(done, 200));
      }
      expectations.push(
        ok(
          'no route moved to cgw-a2 before its agent reported',
          lab.routeChanges(since).length === 0,
          JSON.stringify(lab.routeChanges(since)),
        ),
      );
      // Its agent starts (its tunnels and BGP are already up): the product records it fully up.
      await lab.startAgent('a2', 'cgw-a2');
      let reportedAt = 0;
      await lab
        .reportedFullyUp('cgw-a2')
        .then(() => (reportedAt = performance.now()))
        .catch((err: Error) => expectations.push(ok('cgw-a2 reported fully up', false, err.message)));
      // Break: the old instance goes away.
      await lab.stopAgent('a');
      await lab.world.call('ec2:TerminateInstances', { InstanceIds: [lab.world.ref('instance', 'cgw-a')] });
      let error = '';
      await lab.routesOn('cgw-a2').catch((err: Error) => (error = err.message));
      const changes = lab.routeChanges(since);
      if (error) error += ` (last decisions: ${await lab.lastDecisions(3)})`;
      expectations.push(ok('every managed route active -> eni:cgw-a2', error === '', error));
      expectations.push(
        ok(
          'routes moved to cgw-a2 only after it was reported fully up',
          reportedAt > 0 && changes.every((c) => c.target === 'eni:cgw-a2' && c.at > reportedAt),
          JSON.stringify(changes),
        ),
      );
      return { expectations };
    },
  },
];

/**
 * Plays the lab: builds it, plays each fault with its expectations, always cleans up. Waits first for
 * another lab running on this machine to end (lab/lock.ts).
 */
export async function runLab(options: LabOptions = {}): Promise<LabResult> {
  const log = options.log ?? (() => undefined);
  const unavailable = labUnavailable();
  if (unavailable) throw new Error(`the VPN lab cannot run here: ${unavailable}`);
  const release = await takeLabLock({
    onWait: (pid) => log(`-- another VPN lab runs on this machine (pid ${pid}): waiting for it to end`),
  });
  try {
    return await playLab(options, log);
  } finally {
    release();
  }
}

async function playLab(options: LabOptions, log: (text: string) => void): Promise<LabResult> {
  const started = performance.now();
  removeLeftovers();
  const dir = mkdtempSync(join(tmpdir(), 'cgwlab-'));
  const sim = await startSim();
  const lab = new Lab(sim, dir, options.sender);
  const result: LabResult = { ok: false, faults: [], seconds: 0, setupSeconds: 0 };
  const wanted = FAULTS.filter((f) => !options.only?.length || options.only.includes(f.name));
  try {
    await lab.deploy();
    const sites: [string, number][] = [
      ['a', 1],
      ['b', 2],
      ...(wanted.some((f) => f.name === 'planned-replacement') ? ([['a2', 3]] as [string, number][]) : []),
    ];
    await Promise.all(sites.map(([name, index]) => lab.addSite(name, index)));
    await Promise.all(sites.map(([name]) => siteUp(lab.site(name), 60_000)));
    await lab.startAgent('a', 'cgw-a');
    await lab.startAgent('b', 'cgw-b');
    await Promise.all([lab.reportedFullyUp('cgw-a'), lab.reportedFullyUp('cgw-b')]);
    await lab.operatorFailback();
    await lab.routesOn('cgw-a');
    result.setupSeconds = (performance.now() - started) / 1000;
    const setup = await lab.timeline('lab up: 2 gateways x 2 tunnels, BGP and BFD Established, agents reporting');
    log(`-- lab up in ${result.setupSeconds.toFixed(1)} s (${dir})`);

    for (const fault of wanted) {
      const timeline = fault === wanted[0] ? [setup] : [];
      // Each fault starts from the same place: routes on cgw-a (a failed fault may have left them elsewhere).
      if (!(await lab.routeTargets()).every((t) => t === 'eni:cgw-a:active')) {
        await lab.reportedFullyUp('cgw-a');
        await lab.operatorFailback();
        await lab.routesOn('cgw-a');
        timeline.push(await lab.timeline('routes put back on cgw-a by an operator failback'));
      }
      const since = sim.log.mark();
      const faultAt = performance.now();
      timeline.push(await lab.timeline(await fault.play(lab)));
      const { expectations, switchedAt } = await fault.expect(lab, since, faultAt);
      timeline.push(await lab.timeline('the product reacted'));
      const faultResult: FaultResult = {
        name: fault.name,
        description: fault.description,
        ok: expectations.every((e) => e.ok),
        expectations,
        rendered: '',
        ...(switchedAt !== undefined ? { faultToRouteSeconds: (switchedAt - faultAt) / 1000 } : {}),
      };
      const reportAt = lab.firstFailureReportAt(since, 'cgw-a');
      if (switchedAt !== undefined && reportAt !== undefined)
        faultResult.faultToReportSeconds = (reportAt - faultAt) / 1000;
      if (faultResult.faultToRouteSeconds !== undefined) {
        const split =
          faultResult.faultToReportSeconds === undefined
            ? ''
            : ` (the agent's first report received after ${faultResult.faultToReportSeconds.toFixed(1)} s)`;
        expectations.push(
          ok(`fault to last route switched: ${faultResult.faultToRouteSeconds.toFixed(1)} s${split}`, true),
        );
      }
      if (fault.restore) timeline.push(await lab.timeline(await fault.restore(lab)));
      const scenario: ScenarioResult = {
        name: `lab ${fault.name}`,
        file: 'lab/lab.ts',
        description: fault.description,
        ok: faultResult.ok,
        expectations,
        timeline,
        executions: 0,
        awsCalls: 0,
        simulatedMs: 0,
        outputs: [],
        why: [],
      };
      faultResult.rendered = renderScenario(scenario);
      log(faultResult.rendered);
      result.faults.push(faultResult);
    }
    result.ok = result.faults.length === wanted.length && result.faults.every((f) => f.ok);
  } catch (err) {
    // The agents' last lines first: a wait on the daemons ends its message with their state.
    const agents = [...lab.sites.values()].map(
      (site) => `-- ${site.gateway.name} agent:\n${site.gateway.logTail('agent', 15)}`,
    );
    result.error = [...agents, err instanceof Error ? err.message : String(err)].join('\n');
  } finally {
    await lab.close();
    await sim.stop();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    result.seconds = (performance.now() - started) / 1000;
  }
  return result;
}
