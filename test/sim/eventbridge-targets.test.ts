import { describe, expect, it } from 'vitest';
import { InvalidTargetInputError, resolveJsonPath, shapeTargetInput } from '../../sim/eventbridge/targets.js';

// The EC2 event of the "Amazon EventBridge input transformation" page.
const event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

const InputPathsMap = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' };
const rule = { ruleName: 'example', ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example' };

const transform = (InputTemplate: string) =>
  shapeTargetInput(event, { InputTransformer: { InputPathsMap, InputTemplate } }, rule);

describe('shapeTargetInput with an InputTransformer', () => {
  it.each([
    ['a simple string', '"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'],
    [
      'a string with escaped quotes',
      '"instance \\"<instance>\\" is in <state>"',
      '"instance \\"i-0123456789\\" is in RUNNING"',
    ],
    [
      'simple JSON',
      '{\n  "instance" : <instance>,\n  "state": <state>\n}',
      '{"instance":"i-0123456789","state":"RUNNING"}',
    ],
    [
      'JSON with strings and variables',
      '{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}',
      '{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}',
    ],
    [
      'JSON mixing variables and constants',
      '{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}',
      '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}',
    ],
    ['reserved variables in a string', '"<aws.events.rule-name> triggered"', '"example triggered"'],
    [
      'the rule name and ARN in JSON',
      '{"ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>}',
      '{"ruleArn":"arn:aws:events:us-east-2:123456789012:rule/example","ruleName":"example"}',
    ],
    [
      'the ingestion time, by default the event time',
      '{"at": <aws.events.event.ingestion-time>}',
      '{"at":"2015-11-11T21:29:54Z"}',
    ],
    ['a plain-text template', '<instance> is <state>', '"i-0123456789" is "RUNNING"'],
    ['a placeholder that names no variable', '"a <b> c"', '"a <b> c"'],
  ])('renders %s as documented', (_name, template, expected) => {
    // Act
    const payload = transform(template);

    // Assess
    expect(payload).toBe(expected);
  });

  it('passes the original event without detail as <aws.events.event> and in full as <aws.events.event.json>', () => {
    // Act
    const payload = JSON.parse(transform('{"short": <aws.events.event>, "full": <aws.events.event.json>}'));

    // Assess
    const { detail: _detail, ...withoutDetail } = event;
    expect(payload.short).toEqual(withoutDetail);
    expect(payload.full).toEqual(event);
  });

  it('inserts values raw inside strings and as JSON outside, for non-string values', () => {
    // Prepare
    const numeric = { ...event, detail: { count: 3, tags: ['a', 'b'] } };
    const target = {
      InputTransformer: {
        InputPathsMap: { count: '$.detail.count', tags: '$.detail.tags' },
        InputTemplate: '{"n": <count>, "t": <tags>, "s": "<count>"}',
      },
    };

    // Act
    const payload = shapeTargetInput(numeric, target);

    // Assess
    expect(payload).toBe('{"n":3,"t":["a","b"],"s":"3"}');
  });

  it('renders a variable whose path is missing as null outside strings and nothing inside', () => {
    // Prepare
    const target = {
      InputTransformer: {
        InputPathsMap: { gone: '$.detail.missing' },
        InputTemplate: '{"a": <gone>, "b": "x<gone>y"}',
      },
    };

    // Act
    const payload = shapeTargetInput(event, target);

    // Assess
    expect(payload).toBe('{"a":null,"b":"xy"}');
  });

  it('takes the ingestion time from the context when given', () => {
    // Act
    const payload = shapeTargetInput(
      event,
      { InputTransformer: { InputTemplate: '"<aws.events.event.ingestion-time>"' } },
      { ingestionTime: '2026-01-05T09:00:00Z' },
    );

    // Assess
    expect(payload).toBe('"2026-01-05T09:00:00Z"');
  });

  it('refuses InputPathsMap keys starting with AWS.', () => {
    // Act
    const attempt = () =>
      shapeTargetInput(event, {
        InputTransformer: { InputPathsMap: { 'aws.events.rule-name': '$.id' }, InputTemplate: '<x>' },
      });

    // Assess
    expect(attempt).toThrow(InvalidTargetInputError);
  });
});

describe('shapeTargetInput without a transformer', () => {
  it('sends the whole event when no input is configured', () => {
    // Act
    const payload = shapeTargetInput(event, {});

    // Assess
    expect(JSON.parse(payload)).toEqual(event);
  });

  it('sends constant Input text unchanged', () => {
    // Act
    const payload = shapeTargetInput(event, { Input: '{"sweep": "all"}' });

    // Assess
    expect(payload).toBe('{"sweep": "all"}');
  });

  it('refuses Input that is not JSON', () => {
    // Act
    const attempt = () => shapeTargetInput(event, { Input: 'sweep' });

    // Assess
    expect(attempt).toThrow('valid JSON');
  });

  it.each([
    ['$.detail', '{"instance-id":"i-0123456789","state":"RUNNING"}'],
    ['$.detail.state', '"RUNNING"'],
    ['$.resources[0]', '"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"'],
    ['$.detail.missing', 'null'],
  ])('sends the InputPath %s selection as JSON', (InputPath, expected) => {
    // Act
    const payload = shapeTargetInput(event, { InputPath });

    // Assess
    expect(payload).toBe(expected);
  });

  it('refuses more than one of Input, InputPath and InputTransformer', () => {
    // Act
    const attempt = () => shapeTargetInput(event, { Input: '{}', InputPath: '$.detail' });

    // Assess
    expect(attempt).toThrow(InvalidTargetInputError);
  });
});

describe('resolveJsonPath', () => {
  it.each([
    ['$', event],
    ['$.detail.instance-id', 'i-0123456789'],
    ['$.resources[1]', undefined],
    ['$.source.deeper', undefined],
  ])('resolves %s', (path, expected) => {
    // Act
    const value = resolveJsonPath(event, path);

    // Assess
    expect(value).toEqual(expected);
  });

  it.each(['detail', '$.detail.*', "$['detail']"])('refuses the unsupported path %s', (path) => {
    // Act
    const attempt = () => resolveJsonPath(event, path);

    // Assess
    expect(attempt).toThrow(InvalidTargetInputError);
  });
});
