import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DeployedStack, deployTemplate } from '../../sim/deploy/deploy.js';
import { settle } from '../../sim/drill/runner.js';
import { DrillWorld } from '../../sim/drill/world.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { SfnService } from '../../sim/services/sfn/service.js';
import type { SnsService } from '../../sim/services/sns.js';
import { gatewayPair } from '../support/gateway-pair.js';
import { runExecution } from './run-execution.js';

const root = resolve(import.meta.dirname, '../..');
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));

/** Two gateways, cgw-a preferred and active; two managed tables routing the vendor CIDR to cgw-a. */
const topology = gatewayPair('10.200.0.0/16', {}, ['private-a', 'private-b']);

describe('route reconciler when something fails after Apply (promise 6)', () => {
  let sim: SimAccount;
  let stack: DeployedStack;
  let world: DrillWorld;
  const execute = (input: object) => runExecution(world, 'RouteReconcilerStateMachine', input);
  const targets = async () =>
    Promise.all(
      ['private-a', 'private-b'].map(async (t) => (await world.route(t, '10.200.0.0/16'))?.NetworkInterfaceId),
    );
  const groupItem = async () => {
    const tableName = stack.resources.find((r) => r.logicalId === 'StateTable')?.physicalId;
    const { Item } = await world.call('dynamodb:GetItem', {
      TableName: tableName,
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
    });
    return Item;
  };

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
    stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: { VendorCidrs: '10.200.0.0/16', AgentStaleAfterSeconds: '86400' },
    });
    world = new DrillWorld(sim, stack, root);
    await world.build(topology);
    for (const gateway of ['cgw-a', 'cgw-b']) {
      await world.step({
        putEvent: {
          sample: 'events/agent-tunnels-up.json',
          set: { id: `${gateway}-up`, 'detail.instanceId': `{{instance.${gateway}}}`, 'detail.reportedAt': '{{now}}' },
        },
      });
      await settle(sim);
    }
    // A deploy and two agent runs: generous, so a loaded machine does not leave a half-run hook behind.
  }, 120_000);

  it('keeps an operator failover whose verification read is throttled: listed, recorded, not undone by the next sweep', async () => {
    // Prepare: Decide's DescribeRouteTables goes through, every later one is throttled
    sim.faults.add({
      service: 'ec2',
      action: 'DescribeRouteTables',
      afterCalls: 1,
      errorRate: 1,
      errorCode: 'RequestLimitExceeded',
    });

    // Act
    const failover = await execute(sample('manual-failover.json'));
    sim.faults.clear();
    const sweep = await execute(sample('scheduled-sweep.json'));

    // Assess
    const eniB = world.ref('eni', 'cgw-b');
    expect(failover.status).toBe('SUCCEEDED');
    expect(failover.output).toMatchObject({
      result: 'unverified',
      record: { saved: true },
      verification: { converged: null, error: expect.stringContaining('RequestLimitExceeded') },
    });
    expect(failover.output.actions.map((a: { outcome: { status: string } }) => a.outcome.status)).toEqual([
      'applied',
      'applied',
    ]);
    expect((await groupItem())?.activeInstanceId).toEqual({ S: world.ref('instance', 'cgw-b') });
    const notice = sim.service<SnsService>('sns').published.find((m) => m.message.includes('"unverified"'));
    expect(notice?.message).toContain(world.ref('routeTable', 'private-a'));
    expect(notice?.message).toContain(world.ref('routeTable', 'private-b'));
    expect(sweep.status).toBe('SUCCEEDED');
    expect(sweep.output.result).toBe('no-change');
    expect(await targets()).toEqual([eniB, eniB]);
  });

  it('lists every applied action in the failure and the notice when the report cannot store the record', async () => {
    // Prepare: every write that stores the record and gives the lease back fails
    sim.faults.add({
      service: 'dynamodb',
      action: 'UpdateItem',
      match: 'REMOVE leaseOwner',
      errorRate: 1,
      errorCode: 'InternalServerError',
      times: 40,
    });

    // Act
    const failover = await execute(sample('manual-failover.json'));

    // Assess
    expect(failover.status).toBe('FAILED');
    expect(failover.cause).toContain('Applied 2 of 2 actions');
    expect(failover.cause).toContain(world.ref('routeTable', 'private-a'));
    expect(failover.cause).toContain(world.ref('routeTable', 'private-b'));
    const eniB = world.ref('eni', 'cgw-b');
    expect(await targets()).toEqual([eniB, eniB]);
    const notices = sim.service<SnsService>('sns').published.filter((m) => m.message.includes('"failed"'));
    expect(notices.at(-1)?.message).toContain(world.ref('routeTable', 'private-a'));
  });

  it('stops writing once another run took the lease mid-Apply, lists what it did and fails as LeaseLost (promise 7)', async () => {
    // Prepare: the Apply invocation is throttled by Lambda; its retry waits on the simulated clock
    sim.service<SfnService>('states').retryTime = 'simulated';
    sim.faults.add({
      service: 'lambda',
      action: 'Invoke',
      match: 'RouteApplyFunction',
      errorRate: 1,
      errorCode: 'TooManyRequestsException',
      times: 1,
    });
    const since = sim.log.mark();
    const { executionArn } = await world.call('sfn:StartExecution', {
      stateMachineArn: world.stateMachineArn('RouteReconcilerStateMachine'),
      input: JSON.stringify(sample('manual-failover.json')),
    });
    await settle(sim);
    const tableName = stack.resources.find((r) => r.logicalId === 'StateTable')?.physicalId;
    const heldBy = (await groupItem())?.leaseOwner?.S;

    // Act: meanwhile another run takes the lease (as one would once it expired), then the retries come due
    await world.call('dynamodb:UpdateItem', {
      TableName: tableName,
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
      UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expires',
      ExpressionAttributeValues: {
        ':owner': { S: 'arn:aws:states:eu-west-2:123456789012:execution:other:sweep-1' },
        ':expires': { N: String(Math.floor(sim.clock.now() / 1000) + 300) },
      },
    });
    sim.clock.advance(5_000);
    await settle(sim);

    // Assess
    expect(heldBy).toBe(executionArn);
    const described = await world.call('sfn:DescribeExecution', { executionArn });
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('LeaseLost');
    const writes = sim.log
      .all({ since, product: true })
      .filter((r) => r.service === 'ec2' && !r.action.startsWith('Describe'));
    expect(writes).toEqual([]);
    const eniA = world.ref('eni', 'cgw-a');
    expect(await targets()).toEqual([eniA, eniA]);
    const { events } = await world.call('sfn:GetExecutionHistory', { executionArn, maxResults: 1000 });
    const report = JSON.parse(
      events.filter((e: { type: string }) => e.type === 'TaskSucceeded').at(-1).taskSucceededEventDetails.output,
    ).Payload;
    expect(report).toMatchObject({ result: 'lease-lost', record: { saved: false } });
    expect(report.actions.map((a: { outcome: { error: string } }) => a.outcome.error)).toEqual([
      'LeaseLostError',
      'LeaseLostError',
    ]);
    expect(report.cause).toContain('Applied 0 of 2 actions');
    expect(sim.service<SnsService>('sns').published.at(-1)?.subject).toContain('lease lost');
    expect((await groupItem())?.leaseOwner?.S).toContain('sweep-1');
  });
});
