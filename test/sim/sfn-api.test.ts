import {
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  InvalidDefinition,
  InvalidExecutionInput,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROLE_ARN, type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

const passMachine = { StartAt: 'Done', States: { Done: { Type: 'Pass', Result: { ok: true }, End: true } } };
const waitingMachine = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 600, End: true } } };

describe('SfnService API', () => {
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

  it('creates, describes, lists and deletes state machines', async () => {
    // Act
    const arn = await h.createMachine('routes', passMachine);
    await h.createMachine('rules', passMachine, 'EXPRESS');
    const described = await h.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    const firstPage = await h.client.send(new ListStateMachinesCommand({ maxResults: 1 }));
    const secondPage = await h.client.send(
      new ListStateMachinesCommand({ maxResults: 1, nextToken: firstPage.nextToken }),
    );
    await h.client.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    const afterDelete = h.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));

    // Assess
    expect(arn).toBe('arn:aws:states:eu-west-2:123456789012:stateMachine:routes');
    expect(described).toMatchObject({
      name: 'routes',
      status: 'ACTIVE',
      type: 'STANDARD',
      roleArn: ROLE_ARN,
      definition: JSON.stringify(passMachine),
    });
    expect(described.creationDate).toBeInstanceOf(Date);
    expect(firstPage.stateMachines?.map((m) => m.name)).toEqual(['routes']);
    expect(secondPage.stateMachines?.map((m) => [m.name, m.type])).toEqual([['rules', 'EXPRESS']]);
    expect(secondPage.nextToken).toBeUndefined();
    await expect(afterDelete).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('rejects an invalid definition with the validator messages', async () => {
    // Act
    const attempt = h.createMachine('broken', { StartAt: 'Missing', States: { A: { Type: 'Pass', End: true } } });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(attempt).rejects.toThrow(/MISSING_TRANSITION_TARGET|Missing/);
  });

  it('runs an execution and describes its output', async () => {
    // Prepare
    const arn = await h.createMachine('routes', passMachine);

    // Act
    const executionArn = await h.run(arn, { group: 'vpn-a' }, 'first');
    const described = await h.client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(executionArn).toBe('arn:aws:states:eu-west-2:123456789012:execution:routes:first');
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      name: 'first',
      stateMachineArn: arn,
      input: '{"group":"vpn-a"}',
      output: '{"ok":true}',
    });
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());
  });

  it('returns the running execution again for the same name and input, and ExecutionAlreadyExists otherwise', async () => {
    // Prepare
    const stateMachineArn = await h.createMachine('hold', waitingMachine);
    const start = (input: string) =>
      h.client.send(new StartExecutionCommand({ stateMachineArn, name: 'event-123', input }));

    // Act
    const first = await start('{"a":1}');
    const repeated = await start('{"a":1}');
    const differentInput = start('{"a":2}');
    await expect(differentInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    h.sim.clock.advance(600_000);
    await h.sfn.waitForExecution(first.executionArn!);
    const afterEnd = start('{"a":1}');

    // Assess
    expect(repeated.executionArn).toBe(first.executionArn);
    await expect(afterEnd).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('rejects input that is not JSON and an unknown state machine', async () => {
    // Prepare
    const stateMachineArn = await h.createMachine('routes', passMachine);

    // Act
    const badInput = h.client.send(new StartExecutionCommand({ stateMachineArn, input: '{not json' }));
    const unknown = h.client.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-gone` }));

    // Assess
    await expect(badInput).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(unknown).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('stops a running execution as ABORTED with the given error and cause', async () => {
    // Prepare
    const stateMachineArn = await h.createMachine('hold', waitingMachine);
    const { executionArn } = await h.client.send(new StartExecutionCommand({ stateMachineArn }));

    // Act
    await h.client.send(new StopExecutionCommand({ executionArn, error: 'Operator.Cancelled', cause: 'drill over' }));
    await h.sfn.waitForExecution(executionArn!);
    const described = await h.client.send(new DescribeExecutionCommand({ executionArn }));
    const events = await h.history(executionArn!);

    // Assess
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Operator.Cancelled', cause: 'drill over' });
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator.Cancelled', cause: 'drill over' },
    });
  });

  it('lists executions newest first, filtered by status and paginated', async () => {
    // Prepare
    const stateMachineArn = await h.createMachine('hold', waitingMachine);
    const started: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const { executionArn } = await h.client.send(new StartExecutionCommand({ stateMachineArn, name }));
      started.push(executionArn!);
    }
    await h.client.send(new StopExecutionCommand({ executionArn: started[1] }));

    // Act
    const running = await h.client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
    const page1 = await h.client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
    const page2 = await h.client.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken: page1.nextToken }),
    );

    // Assess
    expect(running.executions?.map((e) => e.name)).toEqual(['three', 'one']);
    expect(page1.executions?.map((e) => [e.name, e.status])).toEqual([
      ['three', 'RUNNING'],
      ['two', 'ABORTED'],
    ]);
    expect(page2.executions?.map((e) => e.name)).toEqual(['one']);
    expect(page2.nextToken).toBeUndefined();
  });
});
