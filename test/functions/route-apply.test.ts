import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionOutcome, ApplyOutput } from '../../functions/commons/route-state.js';
import type { CreateRouteAction, MoveEipAction, ReplaceRouteAction } from '../../functions/core/routes/types.js';
import { type DeployedStack, deployTemplate } from '../../sim/deploy/deploy.js';
import { Topology } from '../../sim/drill/topology.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { FunctionErrorPayload, LambdaService } from '../../sim/services/lambda/service.js';
import { gatewayPair } from '../support/gateway-pair.js';

const root = resolve(import.meta.dirname, '../..');
const asl = JSON.parse(readFileSync(resolve(root, 'statemachines/route-reconciler.asl.json'), 'utf8'));
/** Error names the Apply state retries (the whole invocation again): none of an action's own errors. */
const retried: string[] = asl.States.Apply.Retry.flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals);
const VENDOR = '10.200.0.0/16';
const RUN = 'arn:aws:states:eu-west-2:123456789012:execution:routes:failover-1';

// The route-apply function as deployed from template.yaml, invoked on the simulated account: EC2's
// answers (RouteAlreadyExists, "no route defined", a missing ENI, throttling) are the account's own.
describe('route-apply handler on the simulated account', () => {
  let sim: SimAccount;
  let topology: Topology;
  let stack: DeployedStack;
  const lambda = () => sim.service<LambdaService>('lambda');
  const stateTable = () => stack.resources.find((r) => r.logicalId === 'StateTable')!.physicalId;

  /** Invokes the deployed function with a round's actions, as the Apply state does (ApplyAgain: attempt > 1). */
  async function applyAll(
    actions: object[],
    attempt = 1,
  ): Promise<{ result?: ApplyOutput; error?: FunctionErrorPayload }> {
    const { payload, functionError } = await lambda().invoke(stack.physical.RouteApplyFunction!, {
      actions,
      outcomes: [],
      attempt,
      executionId: RUN,
    });
    return functionError ? { error: payload as FunctionErrorPayload } : { result: payload as ApplyOutput };
  }

  /** One action's outcome: the only outcome of a round of one action (or the action back as pending). */
  async function apply(action: object): Promise<{ outcome?: ActionOutcome; pending: boolean; retryInSeconds: number }> {
    const { result, error } = await applyAll([action]);
    if (!result) throw new Error(`the Apply invocation failed: ${JSON.stringify(error)}`);
    return { outcome: result.outcomes[0], pending: result.pending.length === 1, retryInSeconds: result.retryInSeconds };
  }

  async function holdLease(owner: string): Promise<void> {
    await topology.call('dynamodb:UpdateItem', {
      TableName: stateTable(),
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
      UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expires',
      ExpressionAttributeValues: {
        ':owner': { S: owner },
        ':expires': { N: String(Math.floor(sim.clock.now() / 1000) + 3600) },
      },
    });
  }

  const vendorRoute = async () =>
    (await topology.route('private', VENDOR)) as { NetworkInterfaceId?: string } | undefined;

  const replaceToB = (): ReplaceRouteAction => ({
    kind: 'replace-route',
    actionId: 'replace-1',
    routeTableId: topology.ref('routeTable', 'private'),
    destination: { kind: 'ipv4-cidr', value: VENDOR },
    reason: 'other-target',
    before: { target: { networkInterfaceId: topology.ref('eni', 'cgw-a') }, state: 'active' },
    after: { networkInterfaceId: topology.ref('eni', 'cgw-b'), instanceId: topology.ref('instance', 'cgw-b') },
  });

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  // A fresh account per test: one VPC, cgw-a and cgw-b, the vendor route at cgw-a; the run holds the lease.
  beforeEach(async () => {
    await sim.reset();
    topology = new Topology(sim);
    await topology.build(gatewayPair(VENDOR, { elasticIps: [{ name: 'public', instance: 'cgw-a' }] }));
    stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: { VendorCidrs: VENDOR },
    });
    await holdLease(RUN);
  });

  it('re-points the route while the run holds the lease', async () => {
    // Act
    const outcome = await apply(replaceToB());

    // Assess
    expect(outcome.outcome).toEqual({ actionId: 'replace-1', status: 'applied', detail: 'applied' });
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-b'));
  });

  it('writes nothing and records LeaseLostError as the outcome, not tried again, once another run took the lease', async () => {
    // Prepare
    await holdLease('arn:aws:states:eu-west-2:123456789012:execution:routes:other');

    // Act
    const outcome = await apply(replaceToB());

    // Assess
    expect(outcome.outcome).toMatchObject({ actionId: 'replace-1', status: 'failed', error: 'LeaseLostError' });
    expect(outcome.pending).toBe(false);
    expect(retried).not.toContain('LeaseLostError');
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-a'));
  });

  it('replaces the route when CreateRoute finds it already there', async () => {
    // Prepare
    const create: CreateRouteAction = { ...replaceToB(), kind: 'create-route', reason: 'missing', before: null };

    // Act
    const outcome = await apply(create);

    // Assess
    expect(outcome.outcome).toEqual({ actionId: 'replace-1', status: 'applied', detail: 'applied-as-replace' });
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-b'));
  });

  it('creates the route when ReplaceRoute finds none defined', async () => {
    // Prepare
    await topology.call('ec2:DeleteRoute', {
      RouteTableId: topology.ref('routeTable', 'private'),
      DestinationCidrBlock: VENDOR,
    });

    // Act
    const outcome = await apply(replaceToB());

    // Assess
    expect(outcome.outcome).toEqual({ actionId: 'replace-1', status: 'applied', detail: 'applied-as-create' });
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-b'));
  });

  it('hands the action back as pending for another attempt after a wait when throttling outlasts the SDK retries', async () => {
    // Prepare: more refusals than the function's SDK client makes attempts.
    sim.faults.add({
      service: 'ec2',
      action: 'ReplaceRoute',
      errorRate: 1,
      errorCode: 'RequestLimitExceeded',
      times: 4,
    });

    // Act
    const outcome = await apply(replaceToB());

    // Assess
    expect(outcome.outcome).toBeUndefined();
    expect(outcome.pending).toBe(true);
    expect(outcome.retryInSeconds).toBeGreaterThanOrEqual(1);
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-a'));
  });

  it('records RetryableAwsError as the outcome when the last attempt is throttled too', async () => {
    // Prepare
    sim.faults.add({
      service: 'ec2',
      action: 'ReplaceRoute',
      errorRate: 1,
      errorCode: 'RequestLimitExceeded',
      times: 4,
    });

    // Act: the tenth attempt (ApplyAgain's last)
    const { result } = await applyAll([replaceToB()], 10);

    // Assess
    expect(result?.pending).toEqual([]);
    expect(result?.outcomes).toEqual([
      expect.objectContaining({
        actionId: 'replace-1',
        status: 'failed',
        error: 'RetryableAwsError',
        cause: expect.stringContaining('RequestLimitExceeded'),
      }),
    ]);
  });

  it('records ActionFailedError as the outcome, not tried again, when the target ENI is gone', async () => {
    // Prepare
    const gone = { ...replaceToB(), after: { networkInterfaceId: 'eni-0123456789abcdef0', instanceId: 'i-0gone' } };

    // Act
    const outcome = await apply(gone);

    // Assess
    expect(outcome.outcome).toMatchObject({
      actionId: 'replace-1',
      status: 'failed',
      error: 'ActionFailedError',
      cause: expect.stringContaining('InvalidNetworkInterfaceID.NotFound'),
    });
    expect(outcome.pending).toBe(false);
    expect(retried).not.toContain('ActionFailedError');
  });

  it('moves the Elastic IP to the new gateway in one call, taking it off the old one', async () => {
    // Prepare
    const allocationId = topology.ref('eip', 'public');
    const move: MoveEipAction = {
      kind: 'move-eip',
      actionId: 'eip-1',
      allocationId,
      before: { associationId: null, networkInterfaceId: topology.ref('eni', 'cgw-a'), instanceId: null },
      after: { networkInterfaceId: topology.ref('eni', 'cgw-b'), instanceId: topology.ref('instance', 'cgw-b') },
    };

    // Act
    const outcome = await apply(move);

    // Assess
    expect(outcome.outcome).toMatchObject({ actionId: 'eip-1', status: 'applied' });
    const { Addresses } = await topology.call('ec2:DescribeAddresses', { AllocationIds: [allocationId] });
    expect(Addresses[0]).toMatchObject({
      NetworkInterfaceId: topology.ref('eni', 'cgw-b'),
      InstanceId: topology.ref('instance', 'cgw-b'),
    });
  });
  it('applies 100 actions in one invocation, at most 40 writes at once, each batch after a successful renewal', async () => {
    // Prepare: 100 actions on the one route, EC2 slow enough that a batch's writes overlap
    sim.faults.add({ service: 'ec2', action: 'ReplaceRoute', latencyMs: 50 });
    const actions = Array.from({ length: 100 }, (_, i) => ({ ...replaceToB(), actionId: `replace-${i}` }));
    const since = sim.log.mark();

    // Act
    const { result } = await applyAll(actions);

    // Assess
    expect(result?.outcomes.map((o) => o.status)).toEqual(Array(100).fill('applied'));
    const calls = sim.log.all({ since, product: true });
    const writes = calls.filter((r) => r.action === 'ReplaceRoute');
    const renewals = calls.filter((r) => r.action === 'UpdateItem');
    expect(writes).toHaveLength(100);
    const mostAtOnce = Math.max(...writes.map((w) => writes.filter((o) => o.start < w.end && w.start < o.end).length));
    expect(mostAtOnce).toBeLessThanOrEqual(40);
    // Three batches (40, 40, 20), three renewals: no write before the first renewal ended, and every
    // write started after a renewal that ended at most one batch earlier.
    expect(renewals).toHaveLength(3);
    const firstRenewal = Math.min(...renewals.map((r) => r.end));
    expect(Math.min(...writes.map((w) => w.start))).toBeGreaterThanOrEqual(firstRenewal);
    const byStart = [...writes].sort((a, b) => a.start - b.start);
    for (const [batch, write] of [byStart[0], byStart[40], byStart[80]].entries()) {
      expect(renewals.filter((r) => r.end <= write!.start).length).toBeGreaterThanOrEqual(batch + 1);
    }
  });
});
