import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

let harness: SfnHarness;

beforeAll(async () => {
  harness = await startSfnHarness();
});
afterAll(async () => {
  await harness.stop();
});

const machine = (rule: object) => ({
  StartAt: 'Test',
  States: {
    Test: { Type: 'Choice', Choices: [{ ...rule, Next: 'Yes' }], Default: 'No' },
    Yes: { Type: 'Pass', Result: 'yes', End: true },
    No: { Type: 'Pass', Result: 'no', End: true },
  },
});

describe('Choice type tests', () => {
  it.each([
    [{ Variable: '$.v', IsNull: false }, { v: 'text' }, 'yes'],
    [{ Variable: '$.v', IsNull: false }, { v: null }, 'no'],
    [{ Variable: '$.v', IsNull: true }, { v: null }, 'yes'],
    [{ Variable: '$.v', IsPresent: false }, {}, 'yes'],
    [{ Variable: '$.v', IsPresent: false }, { v: 1 }, 'no'],
    [{ Variable: '$.v', IsString: false }, { v: 1 }, 'yes'],
    [
      {
        And: [
          { Variable: '$.v', IsNumeric: false },
          { Variable: '$.v', IsNull: false },
        ],
      },
      { v: 'x' },
      'yes',
    ],
    [{ Not: { Variable: '$.v', IsBoolean: false } }, { v: true }, 'yes'],
  ])('%j on %j goes to %s, as in AWS', async (rule, input, expected) => {
    // Prepare
    const arn = await harness.createMachine(`choice-${Math.random().toString(36).slice(2)}`, machine(rule));

    // Act
    const executionArn = await harness.run(arn, input);
    const described = await harness.client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(JSON.parse(described.output!)).toBe(expected);
  });
});
