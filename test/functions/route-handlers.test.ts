import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InternalErrorException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RouteRunState } from '../../functions/commons/route-state.js';
import {
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

/** Error names the ASL state retries. */
const retriedBy = (state: { Retry?: { ErrorEquals: string[] }[] }) => state.Retry?.flatMap((r) => r.ErrorEquals) ?? [];

afterEach(() => {
  ec2.reset();
  dynamo.reset();
  sns.reset();
  eventBridge.reset();
});

// route-apply runs on the simulated account: test/functions/route-apply.test.ts.

// Decide and report against client mocks. Their AWS answers also meet the simulated account in
// test/statemachines: a held lease (route-reconciler.test.ts, Busy), a lost lease and failed reads
// (route-report-faults.test.ts), the dry run (route-reconciler.test.ts).
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

// Here the intake's mocks only record calls, to show that none is made: the membership check, the replay
// record and the agent report records run on the simulated account in test/functions/route-intake.test.ts.
describe('route-intake handler', () => {
  let handler: typeof import('../../functions/route-intake/index.js').handler;
  beforeAll(async () => {
    ({ handler } = await import('../../functions/route-intake/index.js'));
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
