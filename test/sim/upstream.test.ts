import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { Ec2Service } from '../../sim/services/ec2/service.js';

let upstream: SimAccount;
let local: SimAccount;
const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };

beforeAll(async () => {
  // A second simulated account stands in for LocalStack or moto: a real endpoint speaking EC2's protocol.
  upstream = await startSim();
  local = await startSim({ upstream: { endpoint: upstream.endpoint, services: ['ec2'] } });
});
afterAll(async () => {
  await local.stop();
  await upstream.stop();
});

describe('services served by an upstream endpoint', () => {
  it('forward requests there, logged and faulted here', async () => {
    // Prepare
    const ec2 = new EC2Client({ endpoint: local.endpoint, region: 'eu-west-2', credentials, maxAttempts: 1 });

    // Act
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const seen = await ec2.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }));
    local.faults.add({ service: 'ec2', errorRate: 1, errorCode: 'RequestLimitExceeded', times: 1 });
    const throttled = await ec2.send(new DescribeVpcsCommand({})).catch((e: Error) => e);

    // Assess
    expect(seen.Vpcs?.[0]?.CidrBlock).toBe('10.9.0.0/16');
    expect(upstream.service<Ec2Service>('ec2').world.state.vpcs.has(Vpc!.VpcId!)).toBe(true);
    expect(local.service<Ec2Service>('ec2').world.state.vpcs.has(Vpc!.VpcId!)).toBe(false);
    expect(local.log.all({ service: 'ec2' }).map((r) => r.action)).toEqual([
      'CreateVpc',
      'DescribeVpcs',
      'DescribeVpcs',
    ]);
    expect(throttled).toMatchObject({ name: 'RequestLimitExceeded' });
    expect(upstream.log.all({ service: 'ec2' })).toHaveLength(2);
  });

  it('refuses to forward a service the sim does not know', async () => {
    await expect(startSim({ upstream: { endpoint: 'http://127.0.0.1:1', services: ['s3'] } })).rejects.toThrow(
      /not known to the sim: s3/,
    );
  });
});
