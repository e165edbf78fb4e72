import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CreateRouteAction, MoveEipAction, ReplaceRouteAction } from '../../functions/core/routes/types.js';
import { type DeployedStack, deployTemplate } from '../../sim/deploy/deploy.js';
import { Topology } from '../../sim/drill/topology.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { FunctionErrorPayload, LambdaService } from '../../sim/services/lambda/service.js';

const root = resolve(import.meta.dirname, '../..');
const asl = JSON.parse(readFileSync(resolve(root, 'statemachines/route-reconciler.asl.json'), 'utf8'));
/** Error names the ApplyAction state retries. */
const retried: string[] = asl.States.Apply.ItemProcessor.States.ApplyAction.Retry.flatMap(
  (r: { ErrorEquals: string[] }) => r.ErrorEquals,
);
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

  /** Invokes the deployed function with one Map item, as the ApplyAction state does. */
  async function apply(action: object): Promise<{ result?: unknown; error?: FunctionErrorPayload }> {
    const { payload, functionError } = await lambda().invoke(stack.physical.RouteApplyFunction!, {
      action,
      executionId: RUN,
    });
    return functionError ? { error: payload as FunctionErrorPayload } : { result: payload };
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
    await topology.build({
      vpcs: [{ name: 'app', cidr: '10.0.0.0/16', subnets: [{ name: 'gw', cidr: '10.0.0.0/24' }] }],
      instances: ['cgw-a', 'cgw-b'].map((name, i) => ({
        name,
        subnet: 'app.gw',
        sourceDestCheck: false,
        tags: { 'cgw-autopilot:group': 'vendor-vpn', 'cgw-autopilot:priority': String(i + 1) },
      })),
      routeTables: [
        {
          name: 'private',
          vpc: 'app',
          tags: { 'cgw-autopilot:managed': 'true' },
          routes: [{ destination: VENDOR, target: { eniOf: 'cgw-a' } }],
        },
      ],
      elasticIps: [{ name: 'public', instance: 'cgw-a' }],
    });
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
    expect(outcome.result).toEqual({ actionId: 'replace-1', status: 'applied', detail: 'applied' });
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-b'));
  });

  it('writes nothing and throws LeaseLostError, a name the ASL does not retry, once another run took the lease', async () => {
    // Prepare
    await holdLease('arn:aws:states:eu-west-2:123456789012:execution:routes:other');

    // Act
    const outcome = await apply(replaceToB());

    // Assess
    expect(outcome.error?.errorType).toBe('LeaseLostError');
    expect(retried).not.toContain('LeaseLostError');
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-a'));
  });

  it('replaces the route when CreateRoute finds it already there', async () => {
    // Prepare
    const create: CreateRouteAction = { ...replaceToB(), kind: 'create-route', reason: 'missing', before: null };

    // Act
    const outcome = await apply(create);

    // Assess
    expect(outcome.result).toEqual({ actionId: 'replace-1', status: 'applied', detail: 'applied-as-replace' });
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
    expect(outcome.result).toEqual({ actionId: 'replace-1', status: 'applied', detail: 'applied-as-create' });
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-b'));
  });

  it('throws RetryableAwsError, a name the ASL retries, when throttling outlasts the SDK retries', async () => {
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
    expect(outcome.error).toMatchObject({
      errorType: 'RetryableAwsError',
      errorMessage: expect.stringContaining('RequestLimitExceeded'),
    });
    expect(retried).toContain('RetryableAwsError');
    expect((await vendorRoute())?.NetworkInterfaceId).toBe(topology.ref('eni', 'cgw-a'));
  });

  it('throws ActionFailedError, a name the ASL does not retry, when the target ENI is gone', async () => {
    // Prepare
    const gone = { ...replaceToB(), after: { networkInterfaceId: 'eni-0123456789abcdef0', instanceId: 'i-0gone' } };

    // Act
    const outcome = await apply(gone);

    // Assess
    expect(outcome.error).toMatchObject({
      errorType: 'ActionFailedError',
      errorMessage: expect.stringContaining('InvalidNetworkInterfaceID.NotFound'),
    });
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
    expect(outcome.result).toMatchObject({ actionId: 'eip-1', status: 'applied' });
    const { Addresses } = await topology.call('ec2:DescribeAddresses', { AllocationIds: [allocationId] });
    expect(Addresses[0]).toMatchObject({
      NetworkInterfaceId: topology.ref('eni', 'cgw-b'),
      InstanceId: topology.ref('instance', 'cgw-b'),
    });
  });
});
