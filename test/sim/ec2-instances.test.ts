import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeAddressesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRANSITION_DELAYS } from '../../sim/services/ec2/index.js';
import { createNetwork, type Ec2Fixture, failure, launchRunning, startEc2 } from './ec2-fixtures.js';

describe('simulated EC2 instances', () => {
  let f: Ec2Fixture;
  let subnetId: string;

  const describeOne = async (instanceId: string) =>
    (await f.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!.Instances![0]!;

  beforeAll(async () => {
    f = await startEc2();
  });
  afterAll(async () => {
    await f.sim.stop();
  });
  beforeEach(async () => {
    await f.sim.reset();
    ({ subnetId } = await createNetwork(f.ec2));
  });

  it('launches pending with a tagged primary ENI and runs once the simulated delay has passed', async () => {
    // Act
    const run = await f.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'cgw-autopilot:group', Value: 'vendor' }] }],
      }),
    );
    const instanceId = run.Instances![0]!.InstanceId!;
    const justLaunched = await describeOne(instanceId);
    f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.pending);
    const later = await describeOne(instanceId);

    // Assess
    expect(instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(run.Instances![0]!.State).toEqual({ Code: 0, Name: 'pending' });
    expect(justLaunched.State?.Name).toBe('pending');
    expect(later.State).toEqual({ Code: 16, Name: 'running' });
    expect(later.Tags).toEqual([{ Key: 'cgw-autopilot:group', Value: 'vendor' }]);
    expect(later.SourceDestCheck).toBe(true);
    expect(later.PrivateIpAddress).toBe('10.0.1.4');
    expect(later.NetworkInterfaces).toHaveLength(1);
    expect(later.NetworkInterfaces![0]).toMatchObject({
      PrivateIpAddress: '10.0.1.4',
      SubnetId: subnetId,
      Status: 'in-use',
      Attachment: { DeviceIndex: 0, Status: 'attached', DeleteOnTermination: true },
    });
    expect(later.NetworkInterfaces![0]!.NetworkInterfaceId).toMatch(/^eni-[0-9a-f]{17}$/);
  });

  it('stops through stopping to stopped on the sim clock', async () => {
    // Prepare
    const { instanceId } = await launchRunning(f, subnetId);

    // Act
    const stop = await f.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.stopping - 1);
    const almost = await describeOne(instanceId);
    f.sim.clock.advance(1);
    const stopped = await describeOne(instanceId);

    // Assess
    expect(stop.StoppingInstances![0]).toMatchObject({
      CurrentState: { Name: 'stopping' },
      PreviousState: { Name: 'running' },
    });
    expect(almost.State?.Name).toBe('stopping');
    expect(stopped.State?.Name).toBe('stopped');
  });

  it('lets scenarios change the transition delay', async () => {
    // Prepare
    f.service.setTransitionDelays({ pending: 0 });

    // Act
    const run = await f.ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, SubnetId: subnetId }),
    );

    // Assess
    expect((await describeOne(run.Instances![0]!.InstanceId!)).State?.Name).toBe('running');
    f.service.setTransitionDelays(DEFAULT_TRANSITION_DELAYS);
  });

  it('on termination deletes DeleteOnTermination ENIs, detaches the others and disassociates the EIP', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);
    const extra = (await f.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!
      .NetworkInterfaceId!;
    await f.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: extra, InstanceId: instanceId, DeviceIndex: 1 }),
    );
    const eip = await f.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await f.ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: instanceId }));

    // Act
    const term = await f.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.shuttingDown);

    // Assess
    expect(term.TerminatingInstances![0]!.CurrentState?.Name).toBe('shutting-down');
    expect((await describeOne(instanceId)).State).toEqual({ Code: 48, Name: 'terminated' });
    const enis = await f.ec2.send(new DescribeNetworkInterfacesCommand({}));
    expect(enis.NetworkInterfaces!.map((e) => [e.NetworkInterfaceId, e.Status])).toEqual([[extra, 'available']]);
    expect(enis.NetworkInterfaces!.some((e) => e.NetworkInterfaceId === eniId)).toBe(false);
    const address = (await f.ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] })))
      .Addresses![0]!;
    expect(address.AssociationId).toBeUndefined();
    expect(address.InstanceId).toBeUndefined();
  });

  it('reports status checks, including impaired ones set by a scenario, and all states on request', async () => {
    // Prepare
    const healthy = await launchRunning(f, subnetId);
    const sick = await launchRunning(f, subnetId);
    const stopped = await launchRunning(f, subnetId);
    await f.ec2.send(new StopInstancesCommand({ InstanceIds: [stopped.instanceId] }));
    f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.stopping);
    f.service.impairInstance(sick.instanceId, { instance: true });

    // Act
    const running = await f.ec2.send(new DescribeInstanceStatusCommand({}));
    const all = await f.ec2.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }));
    const impaired = await f.ec2.send(
      new DescribeInstanceStatusCommand({ Filters: [{ Name: 'instance-status.status', Values: ['impaired'] }] }),
    );
    f.service.restoreInstance(sick.instanceId);
    const restored = await f.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [sick.instanceId] }));

    // Assess
    expect(running.InstanceStatuses!.map((s) => s.InstanceId)).toEqual([healthy.instanceId, sick.instanceId]);
    expect(running.InstanceStatuses![0]).toMatchObject({
      InstanceState: { Name: 'running' },
      SystemStatus: { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] },
      InstanceStatus: { Status: 'ok' },
    });
    expect(running.InstanceStatuses![1]).toMatchObject({
      SystemStatus: { Status: 'ok' },
      InstanceStatus: { Status: 'impaired', Details: [{ Name: 'reachability', Status: 'failed' }] },
    });
    expect(all.InstanceStatuses!.find((s) => s.InstanceId === stopped.instanceId)).toMatchObject({
      InstanceState: { Name: 'stopped' },
      InstanceStatus: { Status: 'not-applicable' },
    });
    expect(impaired.InstanceStatuses!.map((s) => s.InstanceId)).toEqual([sick.instanceId]);
    expect(restored.InstanceStatuses![0]!.InstanceStatus?.Status).toBe('ok');
  });

  it('applies the instance SourceDestCheck attribute to its primary ENI', async () => {
    // Prepare
    const { instanceId, eniId } = await launchRunning(f, subnetId);

    // Act
    await f.ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, SourceDestCheck: { Value: false } }));
    const attribute = await f.ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'sourceDestCheck' }),
    );
    const eni = (await f.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })))
      .NetworkInterfaces![0]!;

    // Assess
    expect(attribute.SourceDestCheck?.Value).toBe(false);
    expect(eni.SourceDestCheck).toBe(false);
    expect((await describeOne(instanceId)).SourceDestCheck).toBe(false);
  });

  it('filters instances by state name, tag and id, with wildcards', async () => {
    // Prepare
    const a = await launchRunning(f, subnetId, { Name: 'cgw-a' });
    const b = await launchRunning(f, subnetId, { Name: 'cgw-b' });
    await f.ec2.send(new StopInstancesCommand({ InstanceIds: [b.instanceId] }));
    const ids = (filters: { Name: string; Values: string[] }[]) =>
      f.ec2
        .send(new DescribeInstancesCommand({ Filters: filters }))
        .then((o) => o.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId)));

    // Act / Assess
    expect(await ids([{ Name: 'instance-state-name', Values: ['running'] }])).toEqual([a.instanceId]);
    expect(await ids([{ Name: 'tag:Name', Values: ['cgw-?'] }])).toEqual([a.instanceId, b.instanceId]);
    expect(
      await ids([
        { Name: 'tag:Name', Values: ['cgw-b'] },
        { Name: 'instance-state-name', Values: ['stop*'] },
      ]),
    ).toEqual([b.instanceId]);
    expect(await ids([{ Name: 'instance-id', Values: [b.instanceId] }])).toEqual([b.instanceId]);
    expect(await ids([{ Name: 'tag-key', Values: ['Nope'] }])).toEqual([]);
  });

  it('answers NotFound for unknown instance ids and Malformed for malformed ones', async () => {
    // Act
    const notFound = await failure(f.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    const malformed = await failure(f.ec2.send(new StopInstancesCommand({ InstanceIds: ['instance-1'] })));

    // Assess
    expect(notFound.name).toBe('InvalidInstanceID.NotFound');
    expect(malformed.name).toBe('InvalidInstanceID.Malformed');
  });

  it('refuses to stop a terminating instance with IncorrectInstanceState', async () => {
    // Prepare
    const { instanceId } = await launchRunning(f, subnetId);
    await f.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));

    // Act
    const err = await failure(f.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })));

    // Assess
    expect(err.name).toBe('IncorrectInstanceState');
  });
});
