import { setTimeout as sleep } from 'node:timers/promises';
import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { LambdaService } from '../../sim/services/lambda/index.js';

describe('LambdaService timeouts', () => {
  let sim: SimAccount;
  let lambda: LambdaService;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
    lambda = sim.service<LambdaService>('lambda');
  });

  it('fails a timed-out invocation with Sandbox.Timedout and drops what its handler still sends', {
    timeout: 90_000,
  }, async () => {
    // Prepare: the handler outlives its 1 s timeout, then writes
    let settled: Promise<unknown> = Promise.resolve();
    lambda.register({
      name: 'slow-writer',
      timeoutSec: 1,
      handler: async () => {
        await sleep(1_500);
        const ec2 = new EC2Client({ maxAttempts: 1 });
        settled = ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })).then(
          () => 'written',
          (err: Error) => err.name,
        );
        return settled;
      },
    });
    const since = sim.log.mark();

    // Act
    const result = await lambda.invoke('slow-writer', {});
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
      if (sim.log.all({ since }).some((r) => r.action === 'CreateVpc')) break;
    }
    const late = await settled;

    // Assess
    expect(result.functionError).toBe('Unhandled');
    expect(result.payload).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(late).not.toBe('written');
    const ec2 = new EC2Client({ endpoint: sim.endpoint, region: 'eu-west-2', ...credentials });
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.9.0.0/16'] }] }));
    expect(Vpcs).toEqual([]);
    expect(
      sim.log
        .all({ since })
        .filter((r) => r.action === 'CreateVpc')
        .map((r) => r.injected),
    ).toEqual(['dropped']);
  });
});

const credentials = { credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' } };
