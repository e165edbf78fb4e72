import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { settle } from '../../sim/drill/runner.js';
import { type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

class BusyError extends Error {
  constructor() {
    super('busy');
    this.name = 'BusyError';
  }
}

describe('SfnService retries on the simulated clock', () => {
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

  it('waits IntervalSeconds x BackoffRate^n of simulated time before each retry, parked meanwhile', {
    timeout: 90_000,
  }, async () => {
    // Prepare
    const calledAt: number[] = [];
    h.lambda.register({
      name: 'busy-twice',
      handler: async () => {
        calledAt.push(Date.now());
        if (calledAt.length <= 2) throw new BusyError();
        return 'done';
      },
    });
    const arn = await h.createMachine('retry-on-sim-time', {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'busy-twice', Payload: {} },
          Retry: [{ ErrorEquals: ['BusyError'], IntervalSeconds: 10, BackoffRate: 3, MaxAttempts: 3 }],
          End: true,
        },
      },
    });
    h.sfn.retryTime = 'simulated';
    const start = h.sim.clock.now();

    // Act
    const { executionArn } = await h.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
    await settle(h.sim);
    const afterFirst = calledAt.length;
    h.sim.clock.advance(9_999);
    await settle(h.sim);
    const beforeTen = calledAt.length;
    h.sim.clock.advance(1);
    await settle(h.sim);
    h.sim.clock.advance(30_000);
    const execution = await h.sfn.waitForExecution(executionArn!);

    // Assess
    expect([afterFirst, beforeTen]).toEqual([1, 1]);
    expect(calledAt.map((t) => t - start)).toEqual([0, 10_000, 40_000]);
    expect(execution.status).toBe('SUCCEEDED');
  });
});
