import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

// Step Functions docs, "Accessing execution data from the Context object": `$$.State.Name` is the name of the
// state the path is read in; in a Map's item processor, the inner state's name.
describe('SfnService context object: $$.State.Name', () => {
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

  it('gives each state its own name in Parameters, ItemSelector and intrinsic functions', async () => {
    // Prepare
    const arn = await h.createMachine('names', {
      StartAt: 'First',
      States: {
        First: {
          Type: 'Pass',
          Parameters: {
            'name.$': '$$.State.Name',
            'execution.$': '$$.Execution.Id',
            'label.$': "States.Format('in {}', $$.State.Name)",
            items: [1, 2],
          },
          Next: 'EachItem',
        },
        EachItem: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'outer.$': '$$.State.Name', 'item.$': '$$.Map.Item.Value' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Inner',
            States: {
              Inner: {
                Type: 'Pass',
                Parameters: {
                  'outer.$': '$.outer',
                  'inner.$': '$$.State.Name',
                  'quoted.$': "States.Format('{}', $$.State.Name)",
                },
                End: true,
              },
            },
          },
          ResultPath: '$.iterations',
          End: true,
        },
      },
    });

    // Act
    const executionArn = await h.run(arn, {});

    // Assess
    const execution = await h.sfn.waitForExecution(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({
      name: 'First',
      execution: executionArn,
      label: 'in First',
      items: [1, 2],
      iterations: [
        { outer: 'EachItem', inner: 'Inner', quoted: 'Inner' },
        { outer: 'EachItem', inner: 'Inner', quoted: 'Inner' },
      ],
    });
  });
});
