import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settle } from '../../sim/drill/runner.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { LambdaService } from '../../sim/services/lambda/index.js';

describe('settle', () => {
  let sim: SimAccount;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('waits for a function that EventBridge invoked asynchronously to finish', async () => {
    // Prepare: a function a schedule or rule invokes (an Event invocation), finishing later than the delivery.
    const lambda = sim.service<LambdaService>('lambda');
    let release: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arn = lambda.register({
      name: 'slow-probe',
      handler: async () => {
        await finished;
        return { done: true };
      },
    });
    await lambda.invoke(arn, {}, 'Event');
    setTimeout(release, 200);

    // Act
    await settle(sim, 60_000);

    // Assess
    expect(lambda.invocations.map((i) => i.outcome)).toEqual([{ result: { done: true } }]);
  });
});
