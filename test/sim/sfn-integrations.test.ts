import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventsService } from '../../sim/services/events.js';
import { type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

describe('SfnService optimized integrations', () => {
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

  it('puts events through the endpoint with a JSON Detail and returns the PutEvents result', async () => {
    // Prepare
    const arn = await h.createMachine('notify', {
      StartAt: 'Announce',
      States: {
        Announce: {
          Type: 'Task',
          Resource: 'arn:aws:states:::events:putEvents',
          Parameters: {
            Entries: [{ Source: 'cgw-autopilot', DetailType: 'Routes Repaired', 'Detail.$': '$' }],
          },
          End: true,
        },
      },
    });
    const mark = h.sim.log.mark();

    // Act
    const executionArn = await h.run(arn, { group: 'vpn-a', repaired: 2 });

    // Assess
    const execution = await h.sfn.waitForExecution(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toMatchObject({
      FailedEntryCount: 0,
      Entries: [{ EventId: expect.any(String) }],
    });
    expect(h.sim.log.all({ service: 'events', since: mark }).map((r) => r.action)).toEqual(['PutEvents']);
    const bus = h.sim.service<EventsService>('events');
    expect(bus.events.at(-1)).toMatchObject({ source: 'cgw-autopilot', detail: { group: 'vpn-a', repaired: 2 } });
  });
});
