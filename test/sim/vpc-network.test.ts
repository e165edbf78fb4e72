import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectOnce, probeTargets } from '../../functions/adapters/reachability-probe.js';
import { parseRange } from '../../functions/core/reachability/index.js';
import { Topology } from '../../sim/drill/topology.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import { runWithNetwork } from '../../sim/network/intercept.js';

const DB = 'db.x.eu-west-2.rds.amazonaws.com';
const HOST_A = 'ec2-1-2-3-4.eu-west-2.compute.amazonaws.com';
const HOST_B = 'ec2-5-6-7-8.eu-west-2.compute.amazonaws.com';

describe('the simulated VPC network', () => {
  let sim: SimAccount;
  let world: Topology;
  let ask: Resolver;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  /** A VPC whose vendor route points at cgw-a, forward rules for the database name and its first host. */
  beforeEach(async () => {
    await sim.reset();
    world = new Topology(sim);
    const target = sim.dns.servers()[0]!.split(':')[0]!;
    await world.build({
      vpcs: [
        {
          name: 'app',
          cidr: '10.0.0.0/16',
          subnets: [
            { name: 'a', cidr: '10.0.1.0/24' },
            { name: 'b', cidr: '10.0.2.0/24' },
          ],
        },
      ],
      instances: [{ name: 'cgw-a', subnet: 'app.a', tags: { 'cgw-autopilot:group': 'vendor-vpn' } }],
      routeTables: [
        {
          name: 'private',
          vpc: 'app',
          subnets: ['a'],
          routes: [{ destination: '10.200.0.0/16', target: { eniOf: 'cgw-a' } }],
        },
      ],
      resolverEndpoints: [{ name: 'out', subnets: ['app.a', 'app.b'] }],
      resolverRules: [
        { name: 'db', domain: DB, targets: [target], endpoint: 'out', associate: ['app'] },
        { name: 'host-a', domain: HOST_A, targets: [target], endpoint: 'out', associate: ['app'] },
      ],
      dns: [
        { name: DB, cname: HOST_A },
        { name: HOST_A, a: ['10.200.1.4'] },
        { name: HOST_B, a: ['10.200.5.8'] },
      ],
      publicDns: [
        { name: HOST_A, a: ['1.2.3.4'] },
        { name: HOST_B, a: ['5.6.7.8'] },
      ],
      vendorServices: [{ address: '10.200.1.4', port: 1521 }],
    });
    // The vendor DNS port is the sim's; the rules were created for port 53 of its address.
    for (const id of Object.values(world.names.rule)) {
      await world.call('route53resolver:UpdateResolverRule', {
        ResolverRuleId: id,
        Config: { TargetIps: [{ Ip: target, Port: sim.dns.port }] },
      });
    }
    const vpcResolver = await sim.network.vpcResolver(world.ref('vpc', 'app'));
    ask = new Resolver({ timeout: 2000, tries: 1 });
    ask.setServers([`127.0.0.1:${vpcResolver.port}`]);
  });

  it('answers a name under a forward rule, and each name of its chain by its own rule, with the vendor address', async () => {
    expect(await ask.resolve4(DB)).toEqual(['10.200.1.4']);
  });

  it('answers a CNAME target without a forward rule publicly, as the VPC resolver does', async () => {
    // Prepare
    sim.dns.setCname(DB, HOST_B);

    // Act
    const addresses = await ask.resolve4(DB);

    // Assess
    expect(addresses).toEqual(['5.6.7.8']);
  });

  it('matches a parent-domain rule for every name under it, and the most specific rule wins', async () => {
    // Prepare: the parent-zone alternative instead of the per-host rule, then a SYSTEM rule for one host.
    const vpc = world.ref('vpc', 'app');
    const target = sim.dns.servers()[0]!.split(':')[0]!;
    await world.call('route53resolver:DisassociateResolverRule', {
      ResolverRuleId: world.ref('rule', 'host-a'),
      VPCId: vpc,
    });
    const parent = await world.call('route53resolver:CreateResolverRule', {
      CreatorRequestId: 'parent-zone',
      RuleType: 'FORWARD',
      DomainName: 'eu-west-2.compute.amazonaws.com',
      TargetIps: [{ Ip: target, Port: sim.dns.port }],
      ResolverEndpointId: world.ref('endpoint', 'out'),
    });
    await world.call('route53resolver:AssociateResolverRule', { ResolverRuleId: parent.ResolverRule.Id, VPCId: vpc });

    // Act
    const throughParent = await ask.resolve4(DB);
    const system = await world.call('route53resolver:CreateResolverRule', {
      CreatorRequestId: 'system-host-a',
      RuleType: 'SYSTEM',
      DomainName: HOST_A,
    });
    await world.call('route53resolver:AssociateResolverRule', { ResolverRuleId: system.ResolverRule.Id, VPCId: vpc });
    const overridden = await ask.resolve4(DB);

    // Assess
    expect(throughParent).toEqual(['10.200.1.4']);
    expect(overridden).toEqual(['1.2.3.4']);
  });

  it('answers SERVFAIL for a forwarded name while the gateway of the vendor route has its tunnels down', async () => {
    // Prepare
    sim.network.setTunnels(world.ref('instance', 'cgw-a'), false);

    // Act
    const failure = await ask.resolve4(DB).catch((err: NodeJS.ErrnoException) => err.code);

    // Assess
    expect(failure).toBe('ESERVFAIL');
    expect(sim.network.pathUp(world.ref('vpc', 'app'), '10.200.1.4')).toMatchObject({ up: false });
  });

  it('answers NXDOMAIN for a name nobody knows', async () => {
    const failure = await ask.resolve4('nothing.example').catch((err: NodeJS.ErrnoException) => err.code);
    expect(failure).toBe('ENOTFOUND');
  });

  it('carries a function in the VPC to its resolver at base + 2 and to the vendor port only while the path is up', async () => {
    // Prepare
    const scope = await sim.network.scopeFor([world.ref('subnet', 'app.a')]);
    const options = {
      resolver: '10.0.0.2:53',
      vendorRanges: [parseRange('10.200.0.0/16')!],
      dnsTimeoutMs: 2000,
      dnsTries: 1,
      tcpTimeoutMs: 300,
    };
    const run = () => runWithNetwork(scope!, () => probeTargets([{ name: DB, port: 1521 }], options));

    // Act
    const healthy = await run();
    sim.network.setVendorPort('10.200.1.4', 1521, false);
    const closed = await run();

    // Assess
    expect(healthy[0]).toMatchObject({
      dns: { verdict: 'vendor-private', addresses: ['10.200.1.4'] },
      tcp: { verdict: 'open' },
      reachable: true,
    });
    expect(closed[0]).toMatchObject({ tcp: { verdict: 'refused' }, reachable: false });
  });

  it('drops the connection to the vendor port when the route to the vendor is blackholed', async () => {
    // Prepare
    const scope = await sim.network.scopeFor([world.ref('subnet', 'app.a')]);
    await world.call('ec2:TerminateInstances', { InstanceIds: [world.ref('instance', 'cgw-a')] });

    // Act
    const result = await runWithNetwork(scope!, () => connectOnce('10.200.1.4', 1521, 300));

    // Assess
    expect(result.verdict).toBe('timeout');
  });

  it('takes tunnels down and closes vendor ports over the /_sim/network control routes, refusing a bad body', async () => {
    // Prepare
    const post = (path: string, body: unknown) =>
      fetch(`${sim.endpoint}/_sim/network/${path}`, { method: 'POST', body: JSON.stringify(body) });
    const vpc = world.ref('vpc', 'app');

    // Act
    const down = await post('tunnels', { instanceId: world.ref('instance', 'cgw-a'), up: false });
    const pathWhileDown = sim.network.pathUp(vpc, '10.200.1.4');
    await post('tunnels', { instanceId: world.ref('instance', 'cgw-a'), up: true });
    const bad = await post('vendor-port', { address: '10.200.1.4', open: false });
    const state = (await (await fetch(`${sim.endpoint}/_sim/network/state`)).json()) as {
      vendorServices: { open: boolean }[];
    };

    // Assess
    expect(down.status).toBe(200);
    expect(pathWhileDown).toMatchObject({ up: false, reason: expect.stringContaining('tunnels') });
    expect(sim.network.pathUp(vpc, '10.200.1.4')).toEqual({ up: true });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('port');
    expect(state.vendorServices).toEqual([{ address: '10.200.1.4', port: 1521, open: true }]);
  });
});
