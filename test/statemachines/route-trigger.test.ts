import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TriggerOutcome } from '../../functions/route-trigger/index.js';
import { deployTemplate } from '../../sim/deploy/deploy.js';
import { advanceStepwise, settle } from '../../sim/drill/runner.js';
import type { TopologyInput } from '../../sim/drill/scenario.js';
import { DrillWorld } from '../../sim/drill/world.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { BusEvent } from '../../sim/services/events.js';
import type { LambdaService } from '../../sim/services/lambda/service.js';

const root = resolve(import.meta.dirname, '../..');
const sample = (file: string): BusEvent => JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));

/** Two gateways of the group, cgw-a preferred, and an instance of nobody's group; one managed table on cgw-a. */
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
    { name: 'web', subnet: 'app.gw', tags: { Name: 'web server' } },
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

describe('route trigger in front of the reconciler (deployed template, simulated account)', () => {
  let sim: SimAccount;
  let world: DrillWorld;
  const sequences = new Map<string, number>();

  const executions = async (): Promise<{ name: string; status: string }[]> =>
    (await world.call('sfn:ListExecutions', { stateMachineArn: world.stateMachineArn('RouteReconcilerStateMachine') }))
      .executions;

  /** What the trigger function answered to each signal since `since` invocations. */
  const triggerOutcomes = (since: number): TriggerOutcome[] =>
    sim
      .service<LambdaService>('lambda')
      .invocations.slice(since)
      .filter((i) => world.stack.functionLogicalIds[i.functionName] === 'RouteTriggerFunction')
      .map((i) => {
        if ('error' in i.outcome) throw new Error(`the trigger failed: ${i.outcome.error.errorMessage}`);
        return i.outcome.result as TriggerOutcome;
      });
  const invocationMark = () => sim.service<LambdaService>('lambda').invocations.length;

  /** An agent report of `gateway`, the next of its boot. */
  async function report(gateway: string, tunnels: 'up' | 'down'): Promise<void> {
    const sequence = (sequences.get(gateway) ?? 0) + 1;
    sequences.set(gateway, sequence);
    await world.step({
      putEvent: {
        sample: `events/agent-tunnels-${tunnels}.json`,
        set: {
          'detail.instanceId': `{{instance.${gateway}}}`,
          'detail.reportedAt': '{{now}}',
          'detail.sequence': sequence,
        },
      },
    });
    await settle(sim);
  }

  /** A status-check alarm about `instance`, as CloudWatch puts it on the bus. */
  function statusCheckAlarm(instance: string): BusEvent {
    const event = sample('cloudwatch-status-check-alarm.json');
    const detail = event.detail as { configuration: { metrics: { metricStat: { metric: { dimensions: object } } }[] } };
    detail.configuration.metrics[0]!.metricStat.metric.dimensions = { InstanceId: world.ref('instance', instance) };
    return { ...event, id: crypto.randomUUID() };
  }

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  beforeEach(async () => {
    await sim.reset();
    sequences.clear();
    const stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: { VendorCidrs: '10.200.0.0/16', AgentStaleAfterSeconds: '86400' },
    });
    world = new DrillWorld(sim, stack, root);
    await world.build(topology);
    await settle(sim);
    // Both agents report; the runs their first reports start elect cgw-a, which the routes already use.
    await report('cgw-a', 'up');
    await report('cgw-b', 'up');
  }, 120_000);

  it('drops the state change of an instance outside the group and starts no execution', async () => {
    // Prepare
    const before = await executions();
    const mark = invocationMark();

    // Act
    await world.step({ stop: 'web' });
    await settle(sim);

    // Assess
    const outcomes = triggerOutcomes(mark);
    expect(outcomes.length).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        outcome: 'dropped',
        reason: expect.stringContaining('is not a member of group'),
      });
    }
    expect(await executions()).toHaveLength(before.length);
  });

  it("drops an alarm about another instance, and starts one run for a member's alarm", async () => {
    // Prepare
    const before = (await executions()).length;
    const mark = invocationMark();

    // Act
    world.publishServiceEvent(statusCheckAlarm('web'));
    await settle(sim);
    const afterOther = (await executions()).length;
    world.publishServiceEvent(statusCheckAlarm('cgw-b'));
    await settle(sim);

    // Assess
    expect(afterOther).toBe(before);
    expect(triggerOutcomes(mark).map((o) => o.outcome)).toEqual(['dropped', 'started']);
    expect(triggerOutcomes(mark)[0]?.reason).toContain('is about no member of group vendor-vpn');
    expect(await executions()).toHaveLength(before + 1);
  });

  it('starts one execution when EventBridge delivers the same event twice', async () => {
    // Prepare
    const before = (await executions()).length;
    const event = statusCheckAlarm('cgw-a');
    const mark = invocationMark();

    // Act
    world.publishServiceEvent(event);
    world.publishServiceEvent(structuredClone(event));
    await settle(sim);

    // Assess
    const after = await executions();
    expect(after).toHaveLength(before + 1);
    expect(after.filter((e) => e.name === `alarm-${event.id}`)).toHaveLength(1);
    // Both deliveries name the same execution: while it runs, StartExecution with the same name and input
    // returns it again; once it has ended, it fails with ExecutionAlreadyExists. Either way, one execution.
    const outcomes = triggerOutcomes(mark);
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ outcome: expect.stringMatching(/^(started|already-started)$/) });
      expect(outcome.execution).toBe(`alarm-${event.id}`);
    }
  });

  it('starts nothing for a report that changes nothing, and one run for a report that does', async () => {
    // Prepare
    const before = (await executions()).length;
    const mark = invocationMark();

    // Act
    await report('cgw-a', 'up');
    const afterSame = (await executions()).length;
    await report('cgw-a', 'down');

    // Assess
    expect(afterSame).toBe(before);
    const outcomes = triggerOutcomes(mark);
    expect(outcomes[0]).toMatchObject({
      outcome: 'dropped',
      reason: expect.stringContaining('the same as its previous report'),
    });
    expect(outcomes[1]).toMatchObject({
      outcome: 'started',
      reason: expect.stringContaining('tunnel1 up, tunnel2 up -> tunnel1 down'),
    });
    expect(await executions()).toHaveLength(before + 1);
    // The unchanged report was still recorded: its sequence number is the one the next report follows.
    const stored = await world.call('dynamodb:Query', {
      TableName: world.stack.physical.StateTable?.split('/').pop(),
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: {
        ':pk': { S: 'group#vendor-vpn' },
        ':sk': { S: `agent#${world.ref('instance', 'cgw-a')}` },
      },
    });
    expect(stored.Items[0].sequence).toEqual({ N: '3' });
  });

  it('starts nothing for a sweep with nothing to do, and one run for a sweep that finds a route moved', async () => {
    // Prepare
    const before = (await executions()).length;
    const mark = invocationMark();

    // Act: a sweep of a converged group, then a route moved by hand and the next sweep.
    await advanceStepwise(sim, 5 * 60_000);
    await report('cgw-a', 'up');
    await report('cgw-b', 'up');
    const afterQuiet = (await executions()).length;
    await world.call('ec2:ReplaceRoute', {
      RouteTableId: world.ref('routeTable', 'private'),
      DestinationCidrBlock: '10.200.0.0/16',
      NetworkInterfaceId: world.ref('eni', 'cgw-b'),
    });
    await advanceStepwise(sim, 5 * 60_000);
    await settle(sim);

    // Assess
    expect(afterQuiet).toBe(before);
    const sweeps = triggerOutcomes(mark).filter((o) => /sweep/.test(o.reason) || o.execution?.startsWith('sweep-'));
    expect(sweeps.map((s) => s.outcome)).toEqual(['dropped', 'started']);
    const after = await executions();
    expect(after).toHaveLength(before + 1);
    expect(after[0]).toMatchObject({ name: expect.stringMatching(/^sweep-\d{12}$/), status: 'SUCCEEDED' });
    expect((await world.route('private', '10.200.0.0/16'))?.NetworkInterfaceId).toBe(world.ref('eni', 'cgw-a'));
  });
});
