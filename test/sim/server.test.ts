import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../sim/index.js';

let sim: SimServer;
const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };
const config = () => ({ endpoint: sim.endpoint, region: 'eu-west-2', credentials });

beforeAll(async () => {
  sim = await startSim();
  await new SNSClient(config()).send(new CreateTopicCommand({ Name: 'alerts' }));
});
afterAll(async () => {
  await sim.stop();
});

async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.endpoint}${path}`, { method: 'POST', body, headers });
  return { status: response.status, text: await response.text() };
}

describe('the simulated account endpoint', () => {
  it('serves DynamoDB through dynalite behind the same endpoint', async () => {
    // Prepare
    const ddb = new DynamoDBClient(config());
    await ddb.send(
      new CreateTableCommand({
        TableName: 'state-table',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );

    // Act
    await ddb.send(
      new PutItemCommand({ TableName: 'state-table', Item: { pk: { S: 'group#a' }, active: { S: 'i-1' } } }),
    );
    const item = await ddb.send(new GetItemCommand({ TableName: 'state-table', Key: { pk: { S: 'group#a' } } }));

    // Assess
    expect(item.Item?.active?.S).toBe('i-1');
    expect(sim.log.all({ service: 'dynamodb' }).map((r) => r.action)).toEqual(['CreateTable', 'PutItem', 'GetItem']);
  });

  it('records SNS notifications; a bad topic ARN is InvalidParameter, an unknown topic NotFound', async () => {
    // Prepare
    const sns = new SNSClient(config());

    // Act
    const published = await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:eu-west-2:123456789012:alerts',
        Message: 'failover',
        Subject: 'cgw',
      }),
    );
    const bad = await sns.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' })).catch((e: Error) => e);
    const unknown = await sns
      .send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-2:123456789012:nobody', Message: 'x' }))
      .catch((e: Error) => e);

    // Assess
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.snapshot().sns).toMatchObject({ published: [{ message: 'failover', subject: 'cgw' }] });
    expect(bad).toMatchObject({ name: 'InvalidParameterException' });
    expect(unknown).toMatchObject({ name: 'NotFoundException' });
  });

  it('records EventBridge events and reports malformed entries per entry', async () => {
    // Prepare
    const events = new EventBridgeClient(config());

    // Act
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'cgw-autopilot', DetailType: 'Routes Repaired', Detail: '{"routes":2}' },
          { Source: 'cgw-autopilot', DetailType: 'Broken', Detail: 'not json' },
        ],
      }),
    );

    // Assess
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[1]?.ErrorCode).toBe('MalformedDetail');
    expect(sim.snapshot().events).toMatchObject({ events: [{ source: 'cgw-autopilot', detail: { routes: 2 } }] });
  });

  it('answers an unknown JSON operation and an unknown query action like AWS', async () => {
    // Act
    const json = await post('/', '{}', {
      'x-amz-target': 'DynamoDB_20120810.Nope',
      'content-type': 'application/x-amz-json-1.0',
    });
    const unknownTarget = await post('/', '{}', {
      'x-amz-target': 'NoSuchService.Nope',
      'content-type': 'application/x-amz-json-1.1',
    });
    const query = await post('/', 'Action=Nope&Version=2010-03-31', {
      'content-type': 'application/x-www-form-urlencoded',
    });

    // Assess
    expect(json.status).toBe(400);
    expect(unknownTarget).toMatchObject({ status: 400, text: expect.stringContaining('UnknownOperationException') });
    expect(query).toMatchObject({ status: 400, text: expect.stringContaining('<Code>InvalidAction</Code>') });
  });

  it('keeps serving after garbage requests', async () => {
    // Prepare
    const garbage = [
      post('/', new Uint8Array([0, 255, 1, 2, 3, 254]), { 'content-type': 'application/octet-stream' }),
      post('/', '{"oops', { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }),
      post('/', '[1,2]', { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }),
      post('/', 'Filter..x=1&&&', { 'content-type': 'application/x-www-form-urlencoded' }),
      post('/', 'Action=Publish&Version=2010-03-31&A.1.B=x&A.1=y', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      fetch(`${sim.endpoint}/%%%`).then(async (r) => ({ status: r.status, text: await r.text() })),
    ];

    // Act
    const answers = await Promise.all(garbage);
    const after = await new SNSClient(config()).send(
      new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-2:123456789012:alerts', Message: 'still here' }),
    );

    // Assess
    for (const answer of answers) expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answers[1]?.text).toContain('SerializationException');
    expect(after.MessageId).toBeDefined();
  });
});

describe('the control API', () => {
  it('advances simulated time, injects faults and lists requests', async () => {
    // Prepare
    const before = (await (await fetch(`${sim.endpoint}/_sim/clock`)).json()) as { now: string };
    const sns = new SNSClient({ ...config(), maxAttempts: 1 });

    // Act
    const advanced = await post('/_sim/clock/advance', JSON.stringify({ ms: 60_000 }));
    await post('/_sim/faults', JSON.stringify({ service: 'sns', errorRate: 1, errorCode: 'InternalError', times: 1 }));
    const failed = await sns
      .send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-2:123456789012:alerts', Message: 'x' }))
      .catch((e: Error) => e);
    const summary = (await (await fetch(`${sim.endpoint}/_sim/requests?service=sns&summary`)).json()) as {
      errors: number;
      perAction: Record<string, number>;
    };
    const badAdvance = await post('/_sim/clock/advance', JSON.stringify({ ms: -5 }));

    // Assess
    expect(Date.parse(JSON.parse(advanced.text).now) - Date.parse(before.now)).toBe(60_000);
    expect(failed).toMatchObject({ name: 'InternalErrorException' });
    expect(summary.errors).toBeGreaterThanOrEqual(1);
    expect(summary.perAction['sns:Publish']).toBeGreaterThanOrEqual(2);
    expect(badAdvance.status).toBe(400);
    expect(badAdvance.text).toContain('non-negative');
  });
});
