import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-2:123456789012:function:observe';

/** Pass, Task (lambda:invoke), Choice, Wait and Map over a bare-ARN Lambda task. */
const reconcileMachine = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Parameters: { 'group.$': '$.group', tables: ['rtb-1', 'rtb-2'] }, Next: 'Observe' },
    Observe: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: FUNCTION_ARN, 'Payload.$': '$' },
      ResultSelector: { 'healthy.$': '$.Payload.healthy' },
      ResultPath: '$.observed',
      Next: 'Healthy?',
    },
    'Healthy?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.observed.healthy', BooleanEquals: true, Next: 'Settle' }],
      Default: 'Settle',
    },
    Settle: { Type: 'Wait', Seconds: 60, Next: 'Repair' },
    Repair: {
      Type: 'Map',
      ItemsPath: '$.tables',
      ItemProcessor: {
        StartAt: 'RepairTable',
        States: { RepairTable: { Type: 'Task', Resource: FUNCTION_ARN, End: true } },
      },
      ResultPath: '$.repaired',
      End: true,
    },
  },
};

describe('SfnService execution history', () => {
  let h: SfnHarness;

  beforeAll(async () => {
    h = await startSfnHarness();
  });
  afterAll(async () => {
    await h.stop();
  });
  beforeEach(async () => {
    await h.sim.reset();
    h.lambda.register({
      name: 'observe',
      handler: async (event) => (typeof event === 'string' ? `repaired ${event}` : { healthy: true, event }),
    });
  });

  it('completes a Wait only when the simulated clock passes its end', async () => {
    // Prepare
    const stateMachineArn = await h.createMachine('reconcile', reconcileMachine);
    const { executionArn } = await h.client.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ group: 'vpn-a' }) }),
    );
    const status = async () => (await h.client.send(new DescribeExecutionCommand({ executionArn }))).status;

    // Act
    await h.untilEvent(executionArn!, 'WaitStateEntered');
    const beforeAdvance = await status();
    h.sim.clock.advance(59_000);
    await sleep(50);
    const justBefore = await status();
    h.sim.clock.advance(1_000);
    const finished = await h.sfn.waitForExecution(executionArn!);

    // Assess
    expect(beforeAdvance).toBe('RUNNING');
    expect(justBefore).toBe('RUNNING');
    expect(finished.status).toBe('SUCCEEDED');
    expect(JSON.parse(finished.output!)).toEqual({
      group: 'vpn-a',
      tables: ['rtb-1', 'rtb-2'],
      observed: { healthy: true },
      repaired: ['repaired rtb-1', 'repaired rtb-2'],
    });
    expect(finished.stopDate! - finished.startDate).toBe(60_000);
  });

  it('records the event types and details AWS records for Pass, Task, Choice, Wait and Map states', async () => {
    // Prepare
    const stateMachineArn = await h.createMachine('reconcile', reconcileMachine);
    const { executionArn } = await h.client.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ group: 'vpn-a' }) }),
    );
    await h.untilEvent(executionArn!, 'WaitStateEntered');
    h.sim.clock.advance(60_000);
    await h.sfn.waitForExecution(executionArn!);

    // Act
    const events = await h.history(executionArn!);

    // Assess
    const types = events.map((e) => e.type);
    expect(types.slice(0, 17)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'MapIterationStarted',
      'TaskStateEntered',
    ]);
    expect(types.slice(-3)).toEqual(['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    for (const type of ['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded'] as const) {
      expect(types.filter((t) => t === type)).toHaveLength(2);
    }
    expect(types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(2);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.previousEventId)).toEqual(events.map((_, i) => i));

    const byType = (type: string) => events.find((e) => e.type === type)!;
    expect(byType('ExecutionStarted').executionStartedEventDetails).toMatchObject({
      input: '{"group":"vpn-a"}',
      roleArn: expect.stringContaining(':role/'),
    });
    expect(byType('TaskScheduled').taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'eu-west-2',
    });
    expect(JSON.parse(byType('TaskScheduled').taskScheduledEventDetails!.parameters!)).toEqual({
      FunctionName: FUNCTION_ARN,
      Payload: { group: 'vpn-a', tables: ['rtb-1', 'rtb-2'] },
    });
    const invokeOutput = JSON.parse(byType('TaskSucceeded').taskSucceededEventDetails!.output!);
    expect(invokeOutput).toMatchObject({
      ExecutedVersion: '$LATEST',
      StatusCode: 200,
      Payload: { healthy: true },
      SdkHttpMetadata: { HttpStatusCode: 200 },
    });
    expect(byType('MapStateStarted').mapStateStartedEventDetails).toEqual({ length: 2 });
    expect(byType('MapIterationStarted').mapIterationStartedEventDetails).toEqual({ name: 'Repair', index: 0 });
    expect(byType('LambdaFunctionScheduled').lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: FUNCTION_ARN,
    });
    expect(byType('WaitStateEntered').stateEnteredEventDetails?.name).toBe('Settle');
    const waitEntered = byType('WaitStateEntered').timestamp!.getTime();
    expect(byType('WaitStateExited').timestamp!.getTime() - waitEntered).toBe(60_000);
    expect(JSON.parse(byType('ExecutionSucceeded').executionSucceededEventDetails!.output!).repaired).toHaveLength(2);
  });

  it('pages history in reverse and leaves out execution data on request', async () => {
    // Prepare
    const stateMachineArn = await h.createMachine('passes', {
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', End: true } },
    });
    const executionArn = await h.run(stateMachineArn, { secret: 'x' });

    // Act
    const first = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2, includeExecutionData: false }),
    );
    const rest = await h.client.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, nextToken: first.nextToken }),
    );

    // Assess
    expect(first.events?.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'PassStateExited']);
    expect(first.events?.[1]?.stateExitedEventDetails).toEqual({ name: 'B' });
    expect(rest.events?.map((e) => e.type)).toEqual([
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'ExecutionStarted',
    ]);
    expect(rest.events?.at(-1)?.executionStartedEventDetails?.input).toBe('{"secret":"x"}');
    expect(rest.nextToken).toBeUndefined();
  });
});
