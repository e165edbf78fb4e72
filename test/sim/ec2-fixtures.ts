import { CreateSubnetCommand, CreateVpcCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startSim } from '../../sim/index.js';
import type { SimServer } from '../../sim/server.js';
import { DEFAULT_TRANSITION_DELAYS, type Ec2Service } from '../../sim/services/ec2/index.js';

/** A running simulated account, an EC2 client bound to it, and the EC2 service object for scenario control. */
export interface Ec2Fixture {
  sim: SimServer;
  ec2: EC2Client;
  service: Ec2Service;
}

export async function startEc2(maxAttempts = 1): Promise<Ec2Fixture> {
  const sim = await startSim();
  const ec2 = new EC2Client({
    endpoint: sim.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
    maxAttempts,
  });
  const service = sim.service<Ec2Service>('ec2');
  service.useClock(sim.clock);
  return { sim, ec2, service };
}

/** The error an SDK call failed with, or a thrown assertion if it succeeded. */
export async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A VPC with one subnet: the smallest world routes and instances need. */
export async function createNetwork(ec2: EC2Client, cidr = '10.0.0.0/16', subnetCidr = '10.0.1.0/24') {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = vpc.Vpc!.VpcId!;
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: subnetCidr }));
  return { vpcId, subnetId: subnet.Subnet!.SubnetId! };
}

/** Launches one instance and lets simulated time run until it is running. */
export async function launchRunning(fixture: Ec2Fixture, subnetId: string, tags: Record<string, string> = {}) {
  const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  const run = await fixture.ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
      ...(tagList.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tagList }] } : {}),
    }),
  );
  fixture.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.pending);
  const instance = run.Instances![0]!;
  return { instanceId: instance.InstanceId!, eniId: instance.NetworkInterfaces![0]!.NetworkInterfaceId! };
}
