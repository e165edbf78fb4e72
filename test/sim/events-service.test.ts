import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  EventBridgeClient,
  InvalidEventPatternException,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSim } from '../../sim/index.js';
import { DEFAULT_TRANSITION_DELAYS } from '../../sim/services/ec2/index.js';
import type { EventsService } from '../../sim/services/events.js';
import type { LambdaService } from '../../sim/services/lambda/index.js';
import { createNetwork, type Ec2Fixture, failure, launchRunning, startEc2 } from './ec2-fixtures.js';

// PutEvents may not claim an aws.* source, so the test events come from a custom source.
const instanceStopped: PutEventsRequestEntry = {
  Source: 'cgw-autopilot.test',
  DetailType: 'Instance Stopped',
  Resources: ['arn:aws:ec2:eu-west-2:123456789012:instance/i-0123456789abcdef0'],
  Detail: JSON.stringify({ 'instance-id': 'i-0123456789abcdef0', state: 'stopped' }),
};
const stoppedPattern = JSON.stringify({
  source: ['cgw-autopilot.test'],
  'detail-type': ['Instance Stopped'],
  detail: { state: ['stopped'] },
});

describe('simulated EventBridge', () => {
  let f: Ec2Fixture;
  let client: EventBridgeClient;
  let sfn: SFNClient;
  let bus: EventsService;
  let lambda: LambdaService;
  /** Events each registered function received, by function name. */
  let received: Record<string, unknown[]>;

  const registerRecorder = (name: string) => {
    received[name] = [];
    return lambda.register({
      name,
      handler: async (event) => {
        received[name]!.push(event);
        return null;
      },
    });
  };

  beforeAll(async () => {
    f = await startEc2();
    const aws = {
      endpoint: f.sim.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
      maxAttempts: 1,
    };
    client = new EventBridgeClient(aws);
    sfn = new SFNClient(aws);
  });
  afterAll(async () => {
    client.destroy();
    sfn.destroy();
    f.ec2.destroy();
    await f.sim.stop();
  });
  beforeEach(async () => {
    await f.sim.reset();
    bus = f.sim.service<EventsService>('events');
    lambda = f.sim.service<LambdaService>('lambda');
    received = {};
  });

  describe('PutRule', () => {
    it('rejects a malformed event pattern with InvalidEventPatternException', async () => {
      // Act
      const error = await failure(
        client.send(new PutRuleCommand({ Name: 'bad-pattern', EventPattern: '{"source":"aws.ec2"}' })),
      );

      // Assess
      expect(error).toBeInstanceOf(InvalidEventPatternException);
      expect(bus.rules.has('bad-pattern')).toBe(false);
    });

    it.each(['rate(5 minute)', 'rate(0 minutes)', 'cron(0 12 * * ? )', 'every 5 minutes'])(
      'rejects the schedule %s with ValidationException',
      async (schedule) => {
        // Act
        const error = await failure(
          client.send(new PutRuleCommand({ Name: 'bad-schedule', ScheduleExpression: schedule })),
        );

        // Assess
        expect(error.name).toBe('ValidationException');
        expect(error.message).toContain('ScheduleExpression is not valid');
        expect(bus.rules.has('bad-schedule')).toBe(false);
      },
    );
  });

  describe('PutEvents', () => {
    it('delivers to a Lambda target the whole event, a constant Input, an InputPath or an InputTransformer', async () => {
      // Prepare
      const arns = {
        whole: registerRecorder('whole'),
        input: registerRecorder('input'),
        path: registerRecorder('path'),
        transformed: registerRecorder('transformed'),
      };
      await client.send(new PutRuleCommand({ Name: 'stopped', EventPattern: stoppedPattern }));
      await client.send(
        new PutTargetsCommand({
          Rule: 'stopped',
          Targets: [
            { Id: 'whole', Arn: arns.whole },
            { Id: 'input', Arn: arns.input, Input: '{"reason":"operator"}' },
            { Id: 'path', Arn: arns.path, InputPath: '$.detail' },
            {
              Id: 'transformed',
              Arn: arns.transformed,
              InputTransformer: {
                InputPathsMap: { instance: '$.detail.instance-id', state: '$.detail.state' },
                InputTemplate: '{"gateway": <instance>, "summary": "<instance> is <state>"}',
              },
            },
          ],
        }),
      );

      // Act
      const put = await client.send(new PutEventsCommand({ Entries: [instanceStopped] }));
      await bus.settled();

      // Assess
      expect(put.FailedEntryCount).toBe(0);
      await vi.waitFor(() => expect(lambda.invocations).toHaveLength(4));
      expect(received.whole).toEqual([
        {
          version: '0',
          id: put.Entries![0]!.EventId,
          'detail-type': 'Instance Stopped',
          source: 'cgw-autopilot.test',
          account: '123456789012',
          time: '2026-01-05T09:00:00Z',
          region: 'eu-west-2',
          resources: ['arn:aws:ec2:eu-west-2:123456789012:instance/i-0123456789abcdef0'],
          detail: { 'instance-id': 'i-0123456789abcdef0', state: 'stopped' },
        },
      ]);
      expect(received.input).toEqual([{ reason: 'operator' }]);
      expect(received.path).toEqual([{ 'instance-id': 'i-0123456789abcdef0', state: 'stopped' }]);
      expect(received.transformed).toEqual([
        { gateway: 'i-0123456789abcdef0', summary: 'i-0123456789abcdef0 is stopped' },
      ]);
      expect(bus.deliveries.map((d) => [d.targetId, d.ok])).toEqual([
        ['whole', true],
        ['input', true],
        ['path', true],
        ['transformed', true],
      ]);
      expect(bus.unmatched).toEqual([]);
    });

    it('starts an execution of a state machine target with the shaped input', async () => {
      // Prepare
      const { stateMachineArn } = await sfn.send(
        new CreateStateMachineCommand({
          name: 'on-stopped',
          roleArn: 'arn:aws:iam::123456789012:role/on-stopped',
          definition: JSON.stringify({ StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } }),
        }),
      );
      await client.send(new PutRuleCommand({ Name: 'stopped', EventPattern: stoppedPattern }));
      await client.send(
        new PutTargetsCommand({
          Rule: 'stopped',
          Targets: [{ Id: 'reconcile', Arn: stateMachineArn, InputPath: '$.detail' }],
        }),
      );

      // Act
      await client.send(new PutEventsCommand({ Entries: [instanceStopped] }));
      await bus.settled();

      // Assess
      const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
      expect(executions).toHaveLength(1);
      expect(bus.deliveries[0]).toMatchObject({ ok: true, detail: executions![0]!.executionArn });
      await vi.waitFor(async () => {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executions![0]!.executionArn }));
        expect(execution.status).toBe('SUCCEEDED');
        expect(JSON.parse(execution.input!)).toEqual({ 'instance-id': 'i-0123456789abcdef0', state: 'stopped' });
        expect(JSON.parse(execution.output!)).toEqual({ 'instance-id': 'i-0123456789abcdef0', state: 'stopped' });
      });
    });

    it('records an event that matches no rule as unmatched and delivers it nowhere', async () => {
      // Prepare
      const arn = registerRecorder('stopped-only');
      await client.send(new PutRuleCommand({ Name: 'stopped', EventPattern: stoppedPattern }));
      await client.send(new PutTargetsCommand({ Rule: 'stopped', Targets: [{ Id: 'fn', Arn: arn }] }));

      // Act
      const put = await client.send(
        new PutEventsCommand({
          Entries: [{ ...instanceStopped, Detail: JSON.stringify({ 'instance-id': 'i-1', state: 'running' }) }],
        }),
      );
      await bus.settled();

      // Assess
      expect(bus.unmatched.map((e) => e.id)).toEqual([put.Entries![0]!.EventId]);
      expect(bus.deliveries).toEqual([]);
      expect(lambda.invocations).toEqual([]);
    });

    it('does not deliver through a disabled rule', async () => {
      // Prepare
      const arn = registerRecorder('disabled-target');
      await client.send(
        new PutRuleCommand({ Name: 'created-disabled', EventPattern: stoppedPattern, State: 'DISABLED' }),
      );
      await client.send(new PutTargetsCommand({ Rule: 'created-disabled', Targets: [{ Id: 'fn', Arn: arn }] }));

      // Act
      await client.send(new PutEventsCommand({ Entries: [instanceStopped] }));
      await bus.settled();

      // Assess
      expect(bus.deliveries).toEqual([]);
      expect(lambda.invocations).toEqual([]);
      expect(bus.unmatched).toHaveLength(1);
    });
  });

  describe('schedule rules', () => {
    it('fires a rate(5 minutes) rule exactly twice when the clock advances 10 minutes', async () => {
      // Prepare
      const arn = registerRecorder('sweep');
      await client.send(new PutRuleCommand({ Name: 'sweep', ScheduleExpression: 'rate(5 minutes)' }));
      await client.send(new PutTargetsCommand({ Rule: 'sweep', Targets: [{ Id: 'fn', Arn: arn }] }));

      // Act
      f.sim.clock.advance(10 * 60_000);
      await bus.settled();

      // Assess
      await vi.waitFor(() => expect(received.sweep).toHaveLength(2));
      expect(received.sweep).toEqual([
        expect.objectContaining({
          source: 'aws.events',
          'detail-type': 'Scheduled Event',
          time: '2026-01-05T09:05:00Z',
          resources: ['arn:aws:events:eu-west-2:123456789012:rule/sweep'],
        }),
        expect.objectContaining({ time: '2026-01-05T09:10:00Z' }),
      ]);
      expect(bus.deliveries).toHaveLength(2);
    });

    it('stops firing once the rule is disabled', async () => {
      // Prepare
      const arn = registerRecorder('sweep');
      await client.send(new PutRuleCommand({ Name: 'sweep', ScheduleExpression: 'rate(5 minutes)' }));
      await client.send(new PutTargetsCommand({ Rule: 'sweep', Targets: [{ Id: 'fn', Arn: arn }] }));
      await client.send(
        new PutRuleCommand({ Name: 'sweep', ScheduleExpression: 'rate(5 minutes)', State: 'DISABLED' }),
      );

      // Act
      f.sim.clock.advance(30 * 60_000);
      await bus.settled();

      // Assess
      expect(bus.deliveries).toEqual([]);
      expect(lambda.invocations).toEqual([]);
    });
  });

  describe('TestEventPattern', () => {
    it('says whether an event matches a pattern', async () => {
      // Prepare
      const event = {
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'Instance Stopped',
        source: 'cgw-autopilot.test',
        account: '123456789012',
        time: '2026-01-05T09:00:00Z',
        region: 'eu-west-2',
        resources: [],
        detail: { 'instance-id': 'i-1', state: 'stopped' },
      };

      // Act
      const matching = await client.send(
        new TestEventPatternCommand({ EventPattern: stoppedPattern, Event: JSON.stringify(event) }),
      );
      const other = await client.send(
        new TestEventPatternCommand({
          EventPattern: stoppedPattern,
          Event: JSON.stringify({ ...event, detail: { 'instance-id': 'i-1', state: 'running' } }),
        }),
      );
      const invalid = await failure(
        client.send(new TestEventPatternCommand({ EventPattern: '[1]', Event: JSON.stringify(event) })),
      );

      // Assess
      expect(matching.Result).toBe(true);
      expect(other.Result).toBe(false);
      expect(invalid).toBeInstanceOf(InvalidEventPatternException);
    });
  });

  describe('EC2 state changes', () => {
    it('puts shutting-down, then terminated after the delay, on the default bus when an instance is terminated', async () => {
      // Prepare
      const { subnetId } = await createNetwork(f.ec2);
      const { instanceId } = await launchRunning(f, subnetId);
      const before = bus.events.length;

      // Act
      await f.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      const afterTerminate = bus.events.slice(before);
      f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.shuttingDown);
      const afterDelay = bus.events.slice(before);

      // Assess
      const states = (list: typeof bus.events) =>
        list
          .filter((e) => e.source === 'aws.ec2' && e['detail-type'] === 'EC2 Instance State-change Notification')
          .map((e) => e.detail);
      expect(states(afterTerminate)).toEqual([{ 'instance-id': instanceId, state: 'shutting-down' }]);
      expect(states(afterDelay)).toEqual([
        { 'instance-id': instanceId, state: 'shutting-down' },
        { 'instance-id': instanceId, state: 'terminated' },
      ]);
      expect(afterDelay[1]).toMatchObject({
        resources: [`arn:aws:ec2:eu-west-2:123456789012:instance/${instanceId}`],
        time: '2026-01-05T09:00:40Z',
      });
    });

    it('delivers the terminated event to a rule matching it', async () => {
      // Prepare
      const arn = registerRecorder('on-terminated');
      await client.send(
        new PutRuleCommand({
          Name: 'terminated',
          EventPattern: JSON.stringify({ source: ['aws.ec2'], detail: { state: ['terminated'] } }),
        }),
      );
      await client.send(
        new PutTargetsCommand({ Rule: 'terminated', Targets: [{ Id: 'fn', Arn: arn, InputPath: '$.detail' }] }),
      );
      const { subnetId } = await createNetwork(f.ec2);
      const { instanceId } = await launchRunning(f, subnetId);

      // Act
      await f.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      f.sim.clock.advance(DEFAULT_TRANSITION_DELAYS.shuttingDown);
      await bus.settled();

      // Assess
      await vi.waitFor(() => expect(received['on-terminated']).toHaveLength(1));
      expect(received['on-terminated']).toEqual([{ 'instance-id': instanceId, state: 'terminated' }]);
    });
  });
});

describe('PutEvents and AWS sources', () => {
  it('refuses an entry that claims an AWS service source, as EventBridge does', async () => {
    // Prepare
    const sim = await startSim();
    const client = new EventBridgeClient({
      endpoint: sim.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });

    // Act
    const result = await client.send(
      new PutEventsCommand({
        Entries: [{ Source: 'aws.ec2', DetailType: 'EC2 Instance State-change Notification', Detail: '{}' }],
      }),
    );
    await sim.stop();

    // Assess
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
  });
});
