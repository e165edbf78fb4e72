import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { advanceStepwise, settle } from '../../sim/drill/runner.js';
import type { DrillWorld } from '../../sim/drill/world.js';

/**
 * Starts a state machine of the deployed template with `input`, waits until the account is quiet,
 * (moving simulated time forward by advanceMs, timer by timer, when given) and reads the execution as an operator would: its event log, status, error and output, plus the
 * product's AWS calls during the run (the drill's own calls left out).
 */
export async function runExecution(
  world: DrillWorld,
  stateMachine: string,
  input: object,
  options: { advanceMs?: number } = {},
) {
  const since = world.sim.log.mark();
  const { executionArn } = await world.call('sfn:StartExecution', {
    stateMachineArn: world.stateMachineArn(stateMachine),
    input: JSON.stringify(input),
  });
  await settle(world.sim);
  // Wait states (a confirmation, a retry of throttled actions) run on the simulated clock.
  if (options.advanceMs) await advanceStepwise(world.sim, options.advanceMs);
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await world.call('sfn:GetExecutionHistory', { executionArn, ...(nextToken ? { nextToken } : {}) });
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  const described = await world.call('sfn:DescribeExecution', { executionArn });
  return {
    events,
    described,
    status: described.status as string,
    error: described.error as string | undefined,
    cause: described.cause as string | undefined,
    output: described.output ? JSON.parse(described.output) : null,
    calls: world.sim.log.all({ since, product: true }).map((r) => `${r.service}:${r.action}`),
  };
}
