import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DeployedStack, deployTemplate } from '../../sim/deploy/deploy.js';
import { settle } from '../../sim/drill/runner.js';
import type { TopologyInput } from '../../sim/drill/scenario.js';
import { DrillWorld } from '../../sim/drill/world.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import { runExecution } from './run-execution.js';

const root = resolve(import.meta.dirname, '../..');
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));

/** Two gateways of the group, cgw-a preferred; one managed table routing the vendor CIDR to cgw-a. */
const topology: TopologyInput = {
  vpcs: [{ name: 'app', cidr: '10.0.0.0/16', subnets: [{ name: 'gw', cidr: '10.0.0.0/24' }] }],
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
      name: 'private',
      vpc: 'app',
      tags: { 'cgw-autopilot:managed': 'true' },
      routes: [{ destination: '10.200.0.0/16', target: { eniOf: 'cgw-a' } }],
    },
  ],
};

const entered = (events: HistoryEvent[]) =>
  events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
const taskErrors = (events: HistoryEvent[]) =>
  events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error);

describe('route reconciler state machine (deployed template, simulated account)', () => {
  let sim: SimAccount;
  let stack: DeployedStack;
  let world: DrillWorld;

  /** Starts the route reconciler with input, waits for the account to settle, and reads its event log. */
  const execute = (input: object, options: { advanceMs?: number } = {}) =>
    runExecution(world, 'RouteReconcilerStateMachine', input, options);

  const mutating = (calls: string[]) =>
    calls.filter((c) => (c.startsWith('ec2:') && !c.startsWith('ec2:Describe')) || /^dynamodb:(Put|Update)/.test(c));

  async function privateRouteTarget(): Promise<string | undefined> {
    return (await world.route('private', '10.200.0.0/16'))?.NetworkInterfaceId;
  }

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  // sim.reset() wipes the deployment too, so each test deploys again (about a second) on a fresh account.
  beforeEach(async () => {
    await sim.reset();
    stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: { VendorCidrs: '10.200.0.0/16', AgentStaleAfterSeconds: '86400' },
    });
    world = new DrillWorld(sim, stack, root);
    await world.build(topology);
    // Both agents report their tunnels up; the runs they trigger elect cgw-a, which the routes already use.
    for (const gateway of ['cgw-a', 'cgw-b']) {
      await world.step({
        putEvent: {
          sample: 'events/agent-tunnels-up.json',
          set: { id: `${gateway}-up`, 'detail.instanceId': `{{instance.${gateway}}}`, 'detail.reportedAt': '{{now}}' },
        },
      });
      // One report at a time: a run that saw only cgw-b's report would rightly elect cgw-b.
      await settle(sim);
    }
    // Two executions and a deploy: a loaded machine takes well over the default 20 s.
  }, 120_000);

  // The SDK's own backoff between its 4 attempts is wall-clock time: a few seconds.
  it('tries an action throttled past the SDK retries again after a Wait, in a second Apply invocation, then applies it', async () => {
    // Prepare
    sim.faults.add({
      service: 'ec2',
      action: 'ReplaceRoute',
      errorRate: 1,
      errorCode: 'RequestLimitExceeded',
      times: 4,
    });

    // Act
    const run = await execute(sample('manual-failover.json'), { advanceMs: 60_000 });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls.filter((c) => c === 'ec2:ReplaceRoute')).toHaveLength(5);
    expect(taskErrors(run.events)).toEqual([]);
    const states = entered(run.events);
    expect(states.filter((s) => s === 'Apply' || s === 'ApplyAgain')).toEqual(['Apply', 'ApplyAgain']);
    expect(states).toContain('WaitToRetry');
    // The first attempt's result, in the history: the action pending, nothing failed.
    const firstApply = run.events.find(
      (e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Apply',
    );
    const afterFirst = JSON.parse(firstApply?.stateExitedEventDetails?.output ?? '{}');
    expect(afterFirst.apply).toMatchObject({ outcomes: [], attempt: 1 });
    expect(afterFirst.apply.pending).toHaveLength(1);
    expect(run.output).toMatchObject({
      result: 'converged',
      decision: {
        outcome: 'switched',
        activeBefore: world.ref('instance', 'cgw-a'),
        activeAfter: world.ref('instance', 'cgw-b'),
      },
      actions: [{ kind: 'replace-route', outcome: { status: 'applied', detail: 'applied' } }],
      verification: { converged: true },
    });
    expect(await privateRouteTarget()).toBe(world.ref('eni', 'cgw-b'));
  });

  it("records a permanent ReplaceRoute error as the action's outcome, not retried, and reports a partial run (promise 6)", async () => {
    // Prepare
    sim.faults.add({
      service: 'ec2',
      action: 'ReplaceRoute',
      errorRate: 1,
      errorCode: 'InvalidRouteTableID.NotFound',
      errorStatus: 400,
      times: 20,
    });

    // Act
    const run = await execute(sample('manual-failover.json'));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    // One ReplaceRoute, one Apply attempt: ActionFailedError is not tried again.
    expect(run.calls.filter((c) => c === 'ec2:ReplaceRoute')).toHaveLength(1);
    expect(entered(run.events)).not.toContain('ApplyAgain');
    expect(run.output).toMatchObject({
      result: 'partial',
      actions: [{ kind: 'replace-route', outcome: { status: 'failed', error: 'ActionFailedError' } }],
      verification: { converged: false },
    });
    expect(run.output.actions[0].outcome.cause).toContain('InvalidRouteTableID.NotFound');
    expect(await privateRouteTarget()).toBe(world.ref('eni', 'cgw-a'));
  });

  it('takes the dry-run branch: no Map state, the plan in the output, no change', async () => {
    // Act
    const run = await execute(sample('manual-failover-dry-run.json'));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.type?.startsWith('Map'))).toEqual([]);
    expect(entered(run.events)).not.toContain('Apply');
    expect(run.output).toMatchObject({
      result: 'dry-run',
      dryRun: true,
      decision: { outcome: 'switched', activeAfter: world.ref('instance', 'cgw-b') },
      actions: [
        { kind: 'replace-route', outcome: 'planned', after: { networkInterfaceId: world.ref('eni', 'cgw-b') } },
      ],
    });
    expect(run.calls.filter((c) => c.startsWith('ec2:') && !c.startsWith('ec2:Describe'))).toEqual([]);
    expect(mutating(run.calls)).toEqual([]);
    expect(await privateRouteTarget()).toBe(world.ref('eni', 'cgw-a'));
  });

  it('retries Decide while another execution holds the lease, then ends in Busy without a change (promise 7)', async () => {
    // Prepare
    const tableName = stack.resources.find((r) => r.logicalId === 'StateTable')?.physicalId;
    await world.call('dynamodb:UpdateItem', {
      TableName: tableName,
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
      UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expires',
      ExpressionAttributeValues: {
        ':owner': { S: 'other' },
        ':expires': { N: String(Math.floor(sim.clock.now() / 1000) + 365 * 86_400) },
      },
    });

    // Act
    const run = await execute(sample('manual-failover.json'));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(taskErrors(run.events)).toEqual(Array(6).fill('LeaseHeldError'));
    expect(entered(run.events).filter((name) => name === 'Decide')).toHaveLength(1);
    expect(entered(run.events).slice(-1)).toEqual(['Busy']);
    expect(entered(run.events)).not.toContain('Report');
    expect(run.output).toMatchObject({ result: 'busy' });
    expect(run.calls.filter((c) => c.startsWith('ec2:') && !c.startsWith('ec2:Describe'))).toEqual([]);
    expect(await privateRouteTarget()).toBe(world.ref('eni', 'cgw-a'));
    const { Item } = await world.call('dynamodb:GetItem', {
      TableName: tableName,
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
    });
    expect(Item.leaseOwner).toEqual({ S: 'other' });
  });

  it('fails a malformed input with InvalidInputError naming the field, before Decide (promise 5)', async () => {
    // Prepare
    const event = sample('ec2-instance-terminated.json');
    (event.detail as Record<string, unknown>)['instance-id'] = 'web-1';

    // Act
    const run = await execute(event);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInputError');
    expect(run.cause).toContain('detail.instance-id');
    expect(entered(run.events)).toEqual(['Entry', 'Intake', 'InputRejected']);
    expect(mutating(run.calls)).toEqual([]);
  });
});
