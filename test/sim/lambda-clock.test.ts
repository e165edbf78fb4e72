import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { LambdaService } from '../../sim/services/lambda/service.js';

let sim: SimAccount;

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.stop();
});

describe('the simulated Lambda runtime clock', () => {
  it('shows handlers simulated time and leaves the rest of the process on real time', async () => {
    // Prepare
    const lambda = sim.service<LambdaService>('lambda');
    lambda.register({
      name: 'what-time',
      handler: async () => ({
        now: Date.now(),
        iso: new Date().toISOString(),
        parsed: new Date('2030-01-01T00:00:00Z').getTime(),
      }),
    });
    sim.clock.advance(3_600_000);

    // Act
    const result = await lambda.invoke('what-time', {});
    const [outside, monotonic] = [Date.now(), performance.timeOrigin + performance.now()];

    // Assess
    expect(result.payload).toEqual({
      now: sim.clock.now(),
      iso: sim.clock.iso(),
      parsed: Date.parse('2030-01-01T00:00:00Z'),
    });
    expect(Math.abs(outside - monotonic)).toBeLessThan(1000);
  });
});
