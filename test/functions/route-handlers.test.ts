import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  EC2ServiceException,
  GetManagedPrefixListEntriesCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InternalErrorException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteRunState } from '../../functions/commons/route-state.js';
import {
  type PlanAction,
  parseRouteConfig,
  type RouteConfig,
  type RouteObservation,
  reconcileRoutes,
} from '../../functions/core/routes/index.js';
import { GROUP, gateway, groupRecord, observe } from '../core/routes-fixtures.js';

// The handlers read their configuration at import: the same tables and destinations as the core's fixtures.
const ENV = {
  GROUP_NAME: GROUP,
  MANAGED_ROUTE_TABLE_IDS: 'rtb-0000000a,rtb-0000000b',
  MANAGED_CIDRS: '10.10.0.0/16',
  MANAGED_PREFIX_LIST_IDS: 'pl-0000000a',
  STATE_TABLE: 'cgw-autopilot-state',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:eu-west-2:123456789012:cgw-autopilot',
};
Object.assign(process.env, ENV);
const config: RouteConfig = parseRouteConfig(ENV);

const root = resolve(import.meta.dirname, '../..');
const asl = JSON.parse(readFileSync(resolve(root, 'statemachines/route-reconciler.asl.json'), 'utf8'));
/** A sample from events/, fresh for each use. */
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));

const ec2 = mockClient(EC2Client);
const dynamo = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const eventBridge = mockClient(EventBridgeClient);

/** An EC2 error as the SDK raises it once its own retries are spent. */
const ec2Error = (name: string, message: string, status = 400) =>
  new EC2ServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** i-a active, routes to it; an operator fails over to i-b. */
const failoverObservation = (overrides: Partial<RouteObservation> & { routesTo?: string | undefined } = {}) =>
  observe([gateway('a', { priority: 1 }), gateway('b', { priority: 2 })], {
    routesTo: 'a',
    record: groupRecord({ activeInstanceId: 'i-a' }),
    ...overrides,
  });

function failoverPlan(observation = failoverObservation(), planConfig = config) {
  return reconcileRoutes(observation, planConfig, { operation: { kind: 'failover' } });
}

function actionOf<K extends PlanAction['kind']>(actions: PlanAction[], kind: K): Extract<PlanAction, { kind: K }> {
  const action = actions.find((a) => a.kind === kind);
  if (!action) throw new Error(`the plan has no ${kind} action`);
  return action as Extract<PlanAction, { kind: K }>;
}

/** Error names the ASL state retries. */
const retriedBy = (state: { Retry?: { ErrorEquals: string[] }[] }) => state.Retry?.flatMap((r) => r.ErrorEquals) ?? [];

afterEach(() => {
  ec2.reset();
  dynamo.reset();
  sns.reset();
  eventBridge.reset();
});

describe('route-apply handler', () => {
  const RUN = 'arn:aws:states:eu-west-2:123456789012:execution:routes:failover-1';
  let handler: typeof import('../../functions/route-apply/index.js').handler;
  beforeAll(async () => {
    ({ handler } = await import('../../functions/route-apply/index.js'));
  });
  // The run holds the lease unless a test says otherwise.
  beforeEach(() => {
    dynamo.on(UpdateCommand).resolves({});
  });

  it('confirms and renews the lease right before its writes', async () => {
    // Prepare
    const replace = actionOf(failoverPlan().plan.actions, 'replace-route');
    ec2.on(ReplaceRouteCommand).resolves({});

    // Act
    const out = await handler({ actions: [replace], executionId: RUN });

    // Assess
    const fence = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(fence).toMatchObject({
      Key: { pk: `group#${GROUP}`, sk: 'state' },
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeValues: { ':owner': RUN },
    });
    expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(1);
    expect(out).toEqual({
      outcomes: [{ actionId: replace.actionId, status: 'applied', detail: 'applied' }],
      pending: [],
      attempt: 1,
      retryInSeconds: 0,
    });
  });

  it('applies 100 actions in one invocation, at most 40 writes at once, each batch after a successful renewal', async () => {
    // Prepare
    const replace = actionOf(failoverPlan().plan.actions, 'replace-route');
    const actions = Array.from({ length: 100 }, (_, i) => ({
      ...replace,
      actionId: `replace-${i}`,
      routeTableId: `rtb-${String(i).padStart(8, '0')}`,
    }));
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    dynamo.on(UpdateCommand).callsFake(async () => {
      order.push('renew');
      return {};
    });
    ec2.on(ReplaceRouteCommand).callsFake(async () => {
      order.push('write');
      most = Math.max(most, ++inFlight);
      await new Promise((done) => setTimeout(done, 5));
      inFlight--;
      return {};
    });

    // Act
    const out = await handler({ actions, executionId: RUN });

    // Assess
    expect(out.outcomes.map((o) => o.status)).toEqual(Array(100).fill('applied'));
    expect(most).toBe(40);
    // Three batches (40, 40, 20): three renewals, the first before any write, each later one
    // made while the batch before it was written.
    expect(order.filter((o) => o === 'renew')).toHaveLength(3);
    expect(order[0]).toBe('renew');
    expect(order.indexOf('renew', 1)).toBeLessThan(40 + 2);
  });

  it('writes nothing and reports every action failed with LeaseLostError, a name the ASL does not retry, once another run took the lease', async () => {
    // Prepare
    const replace = actionOf(failoverPlan().plan.actions, 'replace-route');
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    ec2.on(ReplaceRouteCommand).resolves({});

    // Act
    const out = await handler({ actions: [replace], executionId: RUN });

    // Assess
    expect(out.outcomes).toEqual([
      {
        actionId: replace.actionId,
        status: 'failed',
        error: 'LeaseLostError',
        cause: expect.stringContaining('taken by another execution'),
      },
    ]);
    expect(out.pending).toEqual([]);
    expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
    expect(retriedBy(asl.States.Apply)).not.toContain('LeaseLostError');
    expect(retriedBy(asl.States.ApplyAgain)).not.toContain('LeaseLostError');
  });

  it('replaces the route when CreateRoute finds it already there', async () => {
    // Prepare
    const { plan } = failoverPlan(failoverObservation({ routesTo: undefined }));
    const create = actionOf(plan.actions, 'create-route');
    ec2
      .on(CreateRouteCommand)
      .rejects(ec2Error('RouteAlreadyExists', 'The route identified by 10.10.0.0/16 already exists.'));
    ec2.on(ReplaceRouteCommand).resolves({});

    // Act
    const { outcomes } = await handler({ actions: [create], executionId: RUN });

    // Assess
    expect(outcomes).toEqual([{ actionId: create.actionId, status: 'applied', detail: 'applied-as-replace' }]);
    expect(ec2.commandCalls(ReplaceRouteCommand)[0]?.args[0].input).toEqual(
      ec2.commandCalls(CreateRouteCommand)[0]?.args[0].input,
    );
    expect(ec2.commandCalls(ReplaceRouteCommand)[0]?.args[0].input.NetworkInterfaceId).toBe('eni-b');
  });

  it('creates the route when ReplaceRoute finds none defined', async () => {
    // Prepare
    const replace = actionOf(failoverPlan().plan.actions, 'replace-route');
    ec2
      .on(ReplaceRouteCommand)
      .rejects(
        ec2Error(
          'InvalidParameterValue',
          "There is no route defined for '10.10.0.0/16' in the route table. Please correct the destination and try again.",
        ),
      );
    ec2.on(CreateRouteCommand).resolves({ Return: true });

    // Act
    const { outcomes } = await handler({ actions: [replace], executionId: RUN });

    // Assess
    expect(outcomes).toEqual([{ actionId: replace.actionId, status: 'applied', detail: 'applied-as-create' }]);
    expect(ec2.commandCalls(CreateRouteCommand)[0]?.args[0].input).toEqual({
      RouteTableId: replace.routeTableId,
      DestinationCidrBlock: '10.10.0.0/16',
      NetworkInterfaceId: 'eni-b',
    });
  });

  it('returns the action pending, for the ASL to wait and call again, when throttling outlasts the SDK retries; fails it at the last attempt', async () => {
    // Prepare
    const replace = actionOf(failoverPlan().plan.actions, 'replace-route');
    ec2.on(ReplaceRouteCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503));

    // Act
    const first = await handler({ actions: [replace], executionId: RUN });
    const last = await handler({ actions: [replace], outcomes: [], attempt: 10, executionId: RUN });

    // Assess
    expect(first).toMatchObject({ outcomes: [], pending: [replace], attempt: 1 });
    expect(first.retryInSeconds).toBeGreaterThanOrEqual(1);
    expect(first.retryInSeconds).toBeLessThanOrEqual(2);
    expect(asl.States.ApplyPending.Choices[0]).toMatchObject({ Variable: '$.apply.pending[0]', Next: 'WaitToRetry' });
    expect(asl.States.WaitToRetry).toMatchObject({ SecondsPath: '$.apply.retryInSeconds', Next: 'ApplyAgain' });
    expect(last).toMatchObject({
      outcomes: [{ actionId: replace.actionId, status: 'failed', error: 'RetryableAwsError' }],
      pending: [],
    });
    expect(ec2.commandCalls(CreateRouteCommand)).toHaveLength(0);
  });

  it('reports ActionFailedError, a name the ASL does not retry, when the target ENI is gone', async () => {
    // Prepare
    const replace = actionOf(failoverPlan().plan.actions, 'replace-route');
    ec2
      .on(ReplaceRouteCommand)
      .rejects(ec2Error('InvalidNetworkInterfaceID.NotFound', "The networkInterface ID 'eni-b' does not exist"));

    // Act
    const out = await handler({ actions: [replace], executionId: RUN });

    // Assess
    expect(out.outcomes).toEqual([
      {
        actionId: replace.actionId,
        status: 'failed',
        error: 'ActionFailedError',
        cause: expect.stringContaining('InvalidNetworkInterfaceID.NotFound'),
      },
    ]);
    expect(out.pending).toEqual([]);
    expect(retriedBy(asl.States.Apply)).not.toContain('ActionFailedError');
  });

  it('refuses an input without actions, naming the field, and writes nothing', async () => {
    // Act
    const applying = handler({ executionId: RUN } as never);

    // Assess
    await expect(applying).rejects.toMatchObject({ name: 'InvalidInputError', field: 'actions' });
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('moves the Elastic IP with AllowReassociation, so it leaves the old gateway in the same call', async () => {
    // Prepare
    const eipConfig: RouteConfig = { ...config, eip: { mode: 'keep-on-active', allocationId: 'eipalloc-0a1b2c3d' } };
    const observation = failoverObservation({
      elasticIp: {
        allocationId: 'eipalloc-0a1b2c3d',
        associationId: 'eipassoc-0a1b2c3d',
        networkInterfaceId: 'eni-a',
        instanceId: 'i-a',
      },
    });
    const move = actionOf(failoverPlan(observation, eipConfig).plan.actions, 'move-eip');
    ec2.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-0b1b2c3d' });

    // Act
    const { outcomes } = await handler({ actions: [move], executionId: RUN });

    // Assess
    expect(outcomes).toMatchObject([{ actionId: move.actionId, status: 'applied' }]);
    expect(ec2.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input)).toEqual([
      { AllocationId: 'eipalloc-0a1b2c3d', NetworkInterfaceId: 'eni-b', AllowReassociation: true },
    ]);
  });
});

describe('route-decide handler', () => {
  let handler: typeof import('../../functions/route-decide/index.js').handler;
  let intake: typeof import('../../functions/route-intake/index.js').handler;
  beforeAll(async () => {
    ({ handler } = await import('../../functions/route-decide/index.js'));
    ({ handler: intake } = await import('../../functions/route-intake/index.js'));
  });

  /** EC2 answers for i-a (preferred, routes to it) and i-b, both running with their checks passing. */
  function ec2Answers(): void {
    const instance = (name: string, priority: string) => ({
      InstanceId: `i-${name}`,
      State: { Name: 'running' as const },
      SourceDestCheck: false,
      Tags: [
        { Key: 'cgw-autopilot:group', Value: GROUP },
        { Key: 'cgw-autopilot:priority', Value: priority },
      ],
      NetworkInterfaces: [
        {
          NetworkInterfaceId: `eni-${name}`,
          SourceDestCheck: false,
          Attachment: { DeviceIndex: 0, Status: 'attached' as const },
        },
      ],
    });
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instance('a', '1'), instance('b', '2')] }] });
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: ['i-a', 'i-b'].map((InstanceId) => ({
        InstanceId,
        SystemStatus: { Status: 'ok' as const },
        InstanceStatus: { Status: 'ok' as const },
      })),
    });
    const route = { DestinationCidrBlock: '10.10.0.0/16', NetworkInterfaceId: 'eni-a', State: 'active' as const };
    const listRoute = { DestinationPrefixListId: 'pl-0000000a', NetworkInterfaceId: 'eni-a', State: 'active' as const };
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: ['rtb-0000000a', 'rtb-0000000b'].map((RouteTableId) => ({
        RouteTableId,
        Routes: [route, listRoute],
      })),
    });
    ec2.on(GetManagedPrefixListEntriesCommand).resolves({ Entries: [{ Cidr: '10.20.0.0/16' }] });
  }

  function agentReportsUp(): void {
    const reportedAt = new Date().toISOString();
    dynamo.on(QueryCommand).resolves({
      Items: ['i-a', 'i-b'].map((instanceId) => ({
        instanceId,
        tunnels: [{ name: 'tunnel1', status: 'up' }],
        bgp: 'up',
        reportedAt,
        receivedAt: reportedAt,
      })),
    });
  }

  it('throws LeaseHeldError when another execution holds the lease', async () => {
    // Prepare
    const { request } = await intake({ input: sample('manual-failover.json') });
    ec2Answers();
    agentReportsUp();
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const deciding = handler({
      request,
      confirming: false,
      executionId: 'arn:aws:states:eu-west-2:1:execution:m:run-1',
    });

    // Assess
    await expect(deciding).rejects.toMatchObject({ name: 'LeaseHeldError' });
    expect(retriedBy(asl.States.Decide)).toContain('LeaseHeldError');
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: `group#${GROUP}`, sk: 'state' },
      ExpressionAttributeValues: { ':owner': 'arn:aws:states:eu-west-2:1:execution:m:run-1' },
    });
  });

  it('refuses a managed prefix list holding 0.0.0.0/0 with a ConfigurationError, changing nothing', async () => {
    // Prepare
    const { request } = await intake({ input: sample('manual-repair.json') });
    ec2Answers();
    agentReportsUp();
    ec2.on(GetManagedPrefixListEntriesCommand).resolves({ Entries: [{ Cidr: '10.20.0.0/16' }, { Cidr: '0.0.0.0/0' }] });
    dynamo.on(UpdateCommand).resolves({ Attributes: { pk: `group#${GROUP}`, sk: 'state' } });

    // Act
    const deciding = handler({ request, confirming: false, executionId: 'arn:aws:states:eu-west-2:1:execution:m:pl' });

    // Assess
    await expect(deciding).rejects.toMatchObject({
      name: 'ConfigurationError',
      variable: 'MANAGED_PREFIX_LIST_IDS',
      message: expect.stringContaining('pl-0000000a contains 0.0.0.0/0'),
    });
    expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
    expect(ec2.commandCalls(GetManagedPrefixListEntriesCommand)[0]?.args[0].input).toMatchObject({
      PrefixListId: 'pl-0000000a',
    });
  });

  it('reads the group record on a dry run and writes nothing, not even the lease', async () => {
    // Prepare
    const { request } = await intake({ input: sample('manual-failover-dry-run.json') });
    ec2Answers();
    agentReportsUp();
    dynamo.on(GetCommand).resolves({ Item: { pk: `group#${GROUP}`, sk: 'state', activeInstanceId: 'i-a' } });

    // Act
    const decided = await handler({
      request,
      confirming: false,
      executionId: 'arn:aws:states:eu-west-2:1:execution:m:dry',
    });

    // Assess
    expect(dynamo.commandCalls(GetCommand).map((c) => c.args[0].input.Key)).toEqual([
      { pk: `group#${GROUP}`, sk: 'state' },
    ]);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    expect(decided.plan.decision).toMatchObject({ outcome: 'switched', activeBefore: 'i-a', activeAfter: 'i-b' });
    expect(decided.plan.actions.length).toBeGreaterThan(0);
  });
});

describe('route-report handler', () => {
  let handler: typeof import('../../functions/route-report/index.js').handler;
  beforeAll(async () => {
    ({ handler } = await import('../../functions/route-report/index.js'));
  });

  const executionId = 'arn:aws:states:eu-west-2:1:execution:m:run-1';

  /** The state the Report state receives after every action of the failover plan was applied. */
  function appliedFailover(dryRun = false): RouteRunState {
    const observation = failoverObservation();
    const { health, nextRecord, plan } = failoverPlan(observation);
    return {
      request: { operation: { kind: 'failover' }, dryRun, overrideBlastRadius: false },
      trigger: { kind: 'manual', summary: 'failover by ops@example.com' },
      ignored: null,
      round: 1,
      executionId,
      decision: { observedAt: observation.now, health, plan, nextRecord, confirmationDelaySeconds: 60 },
      ...(dryRun ? {} : { outcomes: plan.actions.map((a) => ({ actionId: a.actionId, status: 'applied' as const })) }),
    };
  }

  /** The route tables as EC2 describes them once the routes point at eni-b. */
  function routesOnStandby(): void {
    const routes = [
      {
        DestinationCidrBlock: '10.10.0.0/16',
        NetworkInterfaceId: 'eni-b',
        InstanceId: 'i-b',
        State: 'active' as const,
      },
      {
        DestinationPrefixListId: 'pl-0000000a',
        NetworkInterfaceId: 'eni-b',
        InstanceId: 'i-b',
        State: 'active' as const,
      },
    ];
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: ['rtb-0000000a', 'rtb-0000000b'].map((RouteTableId) => ({ RouteTableId, Routes: routes })),
    });
  }

  it('reports an SNS failure in notified.sns and does not throw', async () => {
    // Prepare
    routesOnStandby();
    dynamo.on(UpdateCommand).resolves({});
    sns.on(PublishCommand).rejects(new InternalErrorException({ message: 'Internal error', $metadata: {} }));
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    const report = await handler(appliedFailover());

    // Assess
    expect(report.notified).toEqual({ sns: false, events: true });
    expect(report.result).toBe('converged');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':activeInstanceId': 'i-b',
      ':owner': executionId,
    });
  });

  it('reports lease-lost, listing what it applied, when the lease was lost before the record was saved', async () => {
    // Prepare
    routesOnStandby();
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    const report = await handler(appliedFailover());

    // Assess
    expect(report).toMatchObject({ result: 'lease-lost', record: { saved: false } });
    expect(report.cause).toMatch(/another execution took the lease.*Applied \d+ of \d+ actions: replace-route/);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBe('leaseOwner = :owner');
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('writes nothing and notifies nobody on a dry run', async () => {
    // Prepare
    const state = appliedFailover(true);

    // Act
    const report = await handler(state);

    // Assess
    expect(report).toMatchObject({ result: 'dry-run', dryRun: true, notified: null, verification: null });
    expect(report.actions.length).toBe(state.decision?.plan.actions.length);
    expect(report.actions.every((a) => (a as { outcome: unknown }).outcome === 'planned')).toBe(true);
    expect(dynamo.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
    expect(eventBridge.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('route-intake handler', () => {
  let handler: typeof import('../../functions/route-intake/index.js').handler;
  beforeAll(async () => {
    ({ handler } = await import('../../functions/route-intake/index.js'));
  });

  it('ignores an instance-state event for an instance without the group tag', async () => {
    // Prepare
    const event = sample('ec2-instance-terminated.json');
    dynamo.on(PutCommand).resolves({});
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0abcdef1234567890', Tags: [{ Key: 'Name', Value: 'web-1' }] }] }],
    });

    // Act
    const intake = await handler({ input: event });

    // Assess
    expect(intake.ignored).toBe(`i-0abcdef1234567890 is not a member of group ${GROUP}`);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({
      InstanceIds: ['i-0abcdef1234567890'],
    });
  });

  it.each(['networkmanager-tgw-vpc-attachment-deleted.json', 'cloudtrail-delete-tgw-vpc-attachment.json'])(
    'ignores the primary-path signal %s when no primary path is configured, recording nothing',
    async (file) => {
      // Act
      const intake = await handler({ input: sample(file) });

      // Assess
      expect(intake.trigger.kind).toBe('primary-path');
      expect(intake.ignored).toMatch(/: no primary path is configured$/);
      expect(dynamo.calls()).toHaveLength(0);
      expect(ec2.calls()).toHaveLength(0);
    },
  );

  it('ignores a replayed event whose id is already recorded', async () => {
    // Prepare
    const event = sample('ec2-instance-terminated.json');
    dynamo.on(PutCommand).rejects(conditionFailed());
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    // Act
    const intake = await handler({ input: event });

    // Assess
    expect(intake.ignored).toBe(`event ${event.id} was already handled`);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ sk: `event#${event.id}` });
    // The membership check runs side by side with the replay record; it only reads.
    expect(ec2.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeInstancesCommand']);
  });

  it('ignores an agent report for another group and records nothing', async () => {
    // Prepare
    const event = sample('agent-other-group.json');
    dynamo.on(PutCommand).resolves({});

    // Act
    const intake = await handler({ input: event });

    // Assess
    expect(intake.ignored).toBe(`report for group other-vpn, not ${GROUP}`);
    expect(dynamo.calls()).toHaveLength(0);
  });

  /** The agent's report sample, sent now (by the test's clock) unless told otherwise. */
  const agentReport = (detail: Record<string, unknown> = {}) => {
    const event = sample('agent-tunnels-up.json');
    Object.assign(event.detail as Record<string, unknown>, { reportedAt: new Date().toISOString(), ...detail });
    return event;
  };

  it('records the agent report of its own group with the time it was received', async () => {
    // Prepare
    const event = agentReport();
    dynamo.on(PutCommand).resolves({});
    dynamo.on(GetCommand).resolves({});
    const before = new Date().toISOString();

    // Act
    const intake = await handler({ input: event });

    // Assess
    expect(intake.ignored).toBeNull();
    const items = dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
    expect(items.map((item) => item?.sk)).toEqual([`event#${event.id}`, 'agent#i-0abcdef1234567890']);
    expect(items[1]).toMatchObject({ sequence: 1, bootId: '6f1c1e2a-0b7d-4e55-9d0a-8f1a1b2c3d4e' });
    expect(items[1]?.receivedAt >= before).toBe(true);
  });

  it.each([
    ['9', 'not an ISO-8601 UTC time'],
    ['2026-01-05T09:00:30+01:00', 'not an ISO-8601 UTC time'],
    [new Date(Date.now() + 3_600_000).toISOString(), 'ahead of the time it was received'],
  ])('refuses an agent report dated %j, naming reportedAt, before any AWS call', async (reportedAt, words) => {
    // Prepare
    const event = agentReport({ reportedAt });

    // Act
    const intake = handler({ input: event });

    // Assess
    await expect(intake).rejects.toMatchObject({ name: 'InvalidInputError', field: 'detail.reportedAt' });
    await expect(intake).rejects.toThrow(words);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('ignores a report whose sequence number is not after the recorded one, naming the field, and writes no report', async () => {
    // Prepare
    const event = agentReport({ sequence: 7 });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(GetCommand).resolves({
      Item: {
        ...(event.detail as Record<string, unknown>),
        sequence: 7,
        receivedAt: new Date().toISOString(),
        retiredBoots: [],
      },
    });

    // Act
    const intake = await handler({ input: event });

    // Assess
    expect(intake.ignored).toMatch(
      /^detail\.sequence: report 7 of i-0abcdef1234567890 .* is a duplicate of the recorded report 7$/,
    );
    expect(dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.sk)).toEqual([`event#${event.id}`]);
  });

  it('rejects a malformed event with InvalidInputError naming the field, before any AWS call', async () => {
    // Prepare
    const event = sample('ec2-instance-terminated.json');
    (event.detail as Record<string, unknown>)['instance-id'] = 'web-1';

    // Act
    const intake = handler({ input: event });

    // Assess
    await expect(intake).rejects.toMatchObject({ name: 'InvalidInputError', field: 'detail.instance-id' });
    expect(dynamo.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('refuses targetInstanceId on a repair', async () => {
    // Prepare
    const { targetInstanceId } = sample('manual-failover-to-instance.json');
    const input = { ...sample('manual-repair.json'), targetInstanceId };

    // Act
    const intake = handler({ input });

    // Assess
    await expect(intake).rejects.toMatchObject({ name: 'InvalidInputError', field: 'targetInstanceId' });
  });
});
