import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployTemplate } from '../../sim/deploy/deploy.js';
import { checkExpectation } from '../../sim/drill/expect.js';
import { Topology } from '../../sim/drill/topology.js';
import { DrillWorld } from '../../sim/drill/world.js';
import { type SimAccount, startSim } from '../../sim/index.js';

const root = resolve(import.meta.dirname, '../..');

// The product turns source/destination checking off on the gateway's primary ENI
// (ModifyNetworkInterfaceAttribute); that attribute is what the drill must read. The instance's
// attribute is only a view of it while the instance has one ENI: with a second one EC2 refuses to
// answer for the instance ("There are multiple interfaces attached..."), and moto keeps the two apart.
describe('the sourceDestCheck expectation', () => {
  let sim: SimAccount;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('reads the primary ENI, also for a gateway with a second network interface', async () => {
    // Prepare
    const topology = new Topology(sim);
    await topology.build({
      vpcs: [{ name: 'app', cidr: '10.0.0.0/16', subnets: [{ name: 'gw', cidr: '10.0.0.0/24' }] }],
      instances: [{ name: 'cgw-a', subnet: 'app.gw' }],
    });
    // Expectations are read against a deployment: the template's, with the topology built first.
    const stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: { VendorCidrs: '10.200.0.0/16' },
    });
    const world = new DrillWorld(sim, stack, root, topology);
    const { NetworkInterface } = await world.call('ec2:CreateNetworkInterface', {
      SubnetId: world.ref('subnet', 'app.gw'),
    });
    await world.call('ec2:AttachNetworkInterface', {
      NetworkInterfaceId: NetworkInterface.NetworkInterfaceId,
      InstanceId: world.ref('instance', 'cgw-a'),
      DeviceIndex: 1,
    });
    await world.call('ec2:ModifyNetworkInterfaceAttribute', {
      NetworkInterfaceId: world.ref('eni', 'cgw-a'),
      SourceDestCheck: { Value: false },
    });
    const context = { world, since: sim.log.mark(), initialRoutes: {} };

    // Act
    const off = await checkExpectation({ sourceDestCheck: { instance: 'cgw-a', enabled: false } }, context);
    const on = await checkExpectation({ sourceDestCheck: { instance: 'cgw-a', enabled: true } }, context);

    // Assess
    expect(off).toMatchObject({ ok: true, actual: 'off' });
    expect(on).toMatchObject({ ok: false, actual: 'off' });
  });
});
