import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyOutput, DecideOutput, IntakeOutput } from '../../functions/commons/route-state.js';
import { type DeployedStack, deployTemplate } from '../../sim/deploy/deploy.js';
import { settle } from '../../sim/drill/runner.js';
import { Topology } from '../../sim/drill/topology.js';
import { DrillWorld } from '../../sim/drill/world.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { FunctionErrorPayload, LambdaService } from '../../sim/services/lambda/service.js';
import { gatewayPair } from '../support/gateway-pair.js';

const root = resolve(import.meta.dirname, '../..');
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));
const asl = JSON.parse(readFileSync(resolve(root, 'statemachines/route-reconciler.asl.json'), 'utf8'));
const retriedBy = (state: { Retry?: { ErrorEquals: string[] }[] }) => state.Retry?.flatMap((r) => r.ErrorEquals) ?? [];
const VENDOR = '10.200.0.0/16';
const RUN = 'arn:aws:states:eu-west-2:123456789012:execution:routes:run-1';

// The route-decide and route-report functions as deployed from template.yaml, invoked on the simulated
// account one after the other as the state machine would: the lease, the EC2 view and the notifications
// are the account's.
describe('route-decide and route-report handlers on the simulated account', () => {
  let sim: SimAccount;
  let topology: Topology;
  let stack: DeployedStack;
  const lambda = () => sim.service<LambdaService>('lambda');
  const stateTable = () => stack.resources.find((r) => r.logicalId === 'StateTable')!.physicalId;

  async function invoke<T>(logicalId: string, payload: object): Promise<{ result?: T; error?: FunctionErrorPayload }> {
    const { payload: answer, functionError } = await lambda().invoke(stack.physical[logicalId]!, payload);
    return functionError ? { error: answer as FunctionErrorPayload } : { result: answer as T };
  }

  async function requestOf(file: string): Promise<IntakeOutput['request']> {
    const { result } = await invoke<IntakeOutput>('RouteIntakeFunction', { input: sample(file) });
    return result!.request;
  }

  const writes = (since: number) =>
    sim.log
      .all({ since, product: true })
      .filter(
        (r) =>
          /^(Put|Update|Delete|Publish)/.test(r.action) || (r.service === 'ec2' && !r.action.startsWith('Describe')),
      )
      .map((r) => `${r.service}:${r.action}`);

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  // cgw-a preferred with the vendor route, cgw-b standby; both agents report their tunnels up.
  beforeEach(async () => {
    await sim.reset();
    topology = new Topology(sim);
    await topology.build(gatewayPair(VENDOR));
    stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: { VendorCidrs: VENDOR, AgentStaleAfterSeconds: '86400' },
    });
    // The runs their reports trigger elect cgw-a, which the route already uses, and record it.
    const world = new DrillWorld(sim, stack, root, topology);
    for (const gateway of ['cgw-a', 'cgw-b']) {
      await world.step({
        putEvent: {
          sample: 'events/agent-tunnels-up.json',
          set: { id: `${gateway}-up`, 'detail.instanceId': `{{instance.${gateway}}}`, 'detail.reportedAt': '{{now}}' },
        },
      });
      await settle(sim);
    }
  });

  it('decide throws LeaseHeldError, a name the ASL retries, while another execution holds the lease', async () => {
    // Prepare
    await topology.call('dynamodb:UpdateItem', {
      TableName: stateTable(),
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
      UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expires',
      ExpressionAttributeValues: {
        ':owner': { S: 'other' },
        ':expires': { N: String(Math.floor(sim.clock.now() / 1000) + 3600) },
      },
    });
    const request = await requestOf('manual-failover.json');
    const since = sim.log.mark();

    // Act
    const decided = await invoke<DecideOutput>('RouteDecideFunction', { request, confirming: false, executionId: RUN });

    // Assess
    expect(decided.error?.errorType).toBe('LeaseHeldError');
    expect(retriedBy(asl.States.Decide)).toContain('LeaseHeldError');
    expect(new Set(writes(since))).toEqual(new Set(['dynamodb:UpdateItem']));
    const { Item } = await topology.call('dynamodb:GetItem', {
      TableName: stateTable(),
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
    });
    expect(Item.leaseOwner?.S).toBe('other');
  });

  it('decide reads the group record on a dry run and writes nothing, not even the lease', async () => {
    // Prepare
    const request = await requestOf('manual-failover-dry-run.json');
    const since = sim.log.mark();

    // Act
    const decided = await invoke<DecideOutput>('RouteDecideFunction', { request, confirming: false, executionId: RUN });

    // Assess
    expect(decided.result?.plan.decision).toMatchObject({
      outcome: 'switched',
      activeAfter: topology.ref('instance', 'cgw-b'),
    });
    expect(decided.result?.plan.actions.length).toBeGreaterThan(0);
    expect(writes(since)).toEqual([]);
  });

  it('report says notified.sns false when SNS fails, stores the record and does not throw', async () => {
    // Prepare: a failover decided and applied, as the Decide and Apply states leave it.
    const request = await requestOf('manual-failover.json');
    const { result: decision } = await invoke<DecideOutput>('RouteDecideFunction', {
      request,
      confirming: false,
      executionId: RUN,
    });
    const { result: apply } = await invoke<ApplyOutput>('RouteApplyFunction', {
      actions: decision!.plan.actions,
      executionId: RUN,
    });
    expect(apply?.pending).toEqual([]);
    sim.faults.add({
      service: 'sns',
      action: 'Publish',
      errorRate: 1,
      errorCode: 'InternalError',
      errorStatus: 500,
      times: 100,
    });

    // Act
    const report = await invoke<{ result: string; notified: unknown }>('RouteReportFunction', {
      request,
      trigger: { kind: 'manual', summary: 'failover by ops@example.com' },
      ignored: null,
      round: 1,
      executionId: RUN,
      decision,
      outcomes: apply?.outcomes,
    });

    // Assess
    expect(report.error).toBeUndefined();
    expect(report.result).toMatchObject({ result: 'converged', notified: { sns: false, events: true } });
    const { Item } = await topology.call('dynamodb:GetItem', {
      TableName: stateTable(),
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
    });
    expect(Item.activeInstanceId?.S).toBe(topology.ref('instance', 'cgw-b'));
  });

  it('report writes nothing and notifies nobody on a dry run', async () => {
    // Prepare
    const request = await requestOf('manual-failover-dry-run.json');
    const { result: decision } = await invoke<DecideOutput>('RouteDecideFunction', {
      request,
      confirming: false,
      executionId: RUN,
    });
    const since = sim.log.mark();

    // Act
    const report = await invoke<{ result: string; notified: unknown; actions: { outcome: unknown }[] }>(
      'RouteReportFunction',
      {
        request,
        trigger: { kind: 'manual', summary: 'failover (dry run) by ops@example.com' },
        ignored: null,
        round: 1,
        executionId: RUN,
        decision,
      },
    );

    // Assess
    expect(report.result).toMatchObject({ result: 'dry-run', notified: null });
    expect(report.result?.actions.length).toBe(decision?.plan.actions.length);
    expect(report.result?.actions.every((a) => a.outcome === 'planned')).toBe(true);
    expect(writes(since)).toEqual([]);
    expect(sim.log.all({ since, product: true }).map((r) => `${r.service}:${r.action}`)).toEqual([]);
  });
});
