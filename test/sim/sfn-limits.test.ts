import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

// Step Functions' quotas: 256 KiB payloads (execution input, task results, state outputs) and 25,000
// history events per execution.
describe('SfnService quotas', () => {
  let h: SfnHarness;

  beforeAll(async () => {
    h = await startSfnHarness();
  });
  afterAll(async () => {
    await h.stop();
  });
  beforeEach(async () => {
    await h.sim.reset();
  });

  const passThrough = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };

  it('refuses a StartExecution input over 256 KiB and starts nothing', async () => {
    // Prepare
    const arn = await h.createMachine('big-input', passThrough);
    const input = (kib: number) => JSON.stringify({ blob: 'x'.repeat(kib * 1024) });

    // Act
    const refused = await h.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: input(300) })).then(
      () => undefined,
      (err: Error) => err,
    );
    const accepted = await h.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: input(200) }));

    // Assess
    expect(refused?.name).toBe('ValidationException');
    expect(refused?.message).toContain('262144');
    expect(accepted.executionArn).toBeDefined();
    expect(h.sfn.executionsWith(() => true)).toHaveLength(1);
  });

  it('fails the execution with States.DataLimitExceeded when a task returns over 256 KiB, whatever it catches', async () => {
    // Prepare
    h.lambda.register({ name: 'big-result', handler: async () => ({ blob: 'x'.repeat(300 * 1024) }) });
    const arn = await h.createMachine('big-result', {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'big-result', Payload: {} },
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    });

    // Act
    const executionArn = await h.run(arn);

    // Assess
    const execution = await h.sfn.waitForExecution(executionArn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    const events = await h.history(executionArn);
    expect(events.at(-1)?.type).toBe('ExecutionFailed');
    expect(events.map((e) => e.stateEnteredEventDetails?.name).filter(Boolean)).toEqual(['Call']);
  });

  it('fails an execution whose history reaches 25,000 events, the last one ExecutionFailed', {
    timeout: 120_000,
  }, async () => {
    // Prepare: 4 events per turn of the loop, which would run 100,000 turns
    const arn = await h.createMachine('endless', {
      StartAt: 'Count',
      States: {
        Count: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'More' },
        More: {
          Type: 'Choice',
          Choices: [{ Variable: '$.n', NumericLessThan: 100_000, Next: 'Count' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    });

    // Act
    const executionArn = await h.run(arn, { n: 0 });

    // Assess
    const execution = await h.sfn.waitForExecution(executionArn);
    expect(execution.status).toBe('FAILED');
    expect(execution.cause).toContain('maximum number of history events (25000)');
    expect(execution.history.events).toHaveLength(25_000);
    expect(execution.history.events.at(-1)?.type).toBe('ExecutionFailed');
  });
});
