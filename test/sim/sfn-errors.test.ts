import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SfnHarness, startSfnHarness } from './sfn-fixtures.js';

class GatewayUnhealthyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayUnhealthyError';
  }
}

/** One Task state with Retry and Catch; the Catch lands the error in $.error and ends. */
function taskMachine(task: Record<string, unknown>) {
  return {
    StartAt: 'Call',
    States: {
      Call: { Type: 'Task', ...task, Next: 'Done' },
      Done: { Type: 'Pass', End: true },
      Caught: { Type: 'Pass', End: true },
    },
  };
}

const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }];

describe('SfnService task errors, Retry and Catch', () => {
  let h: SfnHarness;
  let dynamodb: DynamoDBClient;

  const failures = (events: HistoryEvent[]) =>
    events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails);
  const output = async (executionArn: string) =>
    JSON.parse((await h.sfn.waitForExecution(executionArn)).output ?? 'null');

  beforeAll(async () => {
    h = await startSfnHarness();
    dynamodb = new DynamoDBClient({ endpoint: h.sim.endpoint, maxAttempts: 1 });
  });
  afterAll(async () => {
    dynamodb.destroy();
    await h.stop();
  });
  beforeEach(async () => {
    await h.sim.reset();
  });

  it('names an aws-sdk error ServiceName.ErrorName, retries it as written, then catches it', async () => {
    // Prepare
    const arn = await h.createMachine(
      'lookup',
      taskMachine({
        Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
        Parameters: { TableName: 'missing', Key: { pk: { S: 'group#vpn-a' } } },
        Retry: [{ ErrorEquals: ['DynamoDb.ResourceNotFoundException'], MaxAttempts: 2, IntervalSeconds: 1 }],
        Catch: catchAll,
      }),
    );
    const mark = h.sim.log.mark();

    // Act
    const executionArn = await h.run(arn);

    // Assess
    expect(h.sim.log.all({ service: 'dynamodb', since: mark }).map((r) => r.action)).toEqual([
      'GetItem',
      'GetItem',
      'GetItem',
    ]);
    const failed = failures(await h.history(executionArn));
    expect(failed).toHaveLength(3);
    expect(failed[0]).toMatchObject({
      resourceType: 'aws-sdk:dynamodb',
      resource: 'getItem',
      error: 'DynamoDb.ResourceNotFoundException',
      cause: expect.stringContaining('Service: DynamoDb, Status Code: 400'),
    });
    expect((await output(executionArn)).error.Error).toBe('DynamoDb.ResourceNotFoundException');
  });

  it('retries an injected throttle and then succeeds with the SDK output, without $metadata', async () => {
    // Prepare
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'state',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamodb.send(new PutItemCommand({ TableName: 'state', Item: { pk: { S: 'g' }, active: { S: 'i-1' } } }));
    const arn = await h.createMachine(
      'lookup',
      taskMachine({
        Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem',
        Parameters: { TableName: 'state', Key: { pk: { S: 'g' } } },
        Retry: [{ ErrorEquals: ['DynamoDb.ProvisionedThroughputExceededException'], MaxAttempts: 3 }],
        Catch: catchAll,
      }),
    );
    h.sim.faults.add({
      service: 'dynamodb',
      action: 'GetItem',
      errorRate: 1,
      errorCode: 'ProvisionedThroughputExceededException',
      times: 2,
    });

    // Act
    const executionArn = await h.run(arn);

    // Assess
    expect(await output(executionArn)).toEqual({ Item: { pk: { S: 'g' }, active: { S: 'i-1' } } });
    const events = await h.history(executionArn);
    expect(failures(events).map((f) => f?.error)).toEqual([
      'DynamoDb.ProvisionedThroughputExceededException',
      'DynamoDb.ProvisionedThroughputExceededException',
    ]);
    expect(events.filter((e) => e.type === 'TaskScheduled')).toHaveLength(3);
  });

  it('names optimized DynamoDB errors with the DynamoDB prefix', async () => {
    // Prepare
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'leases',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamodb.send(new PutItemCommand({ TableName: 'leases', Item: { pk: { S: 'g' } } }));
    const arn = await h.createMachine(
      'lease',
      taskMachine({
        Resource: 'arn:aws:states:::dynamodb:putItem',
        Parameters: { TableName: 'leases', Item: { pk: { S: 'g' } }, ConditionExpression: 'attribute_not_exists(pk)' },
        Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'Caught' }],
      }),
    );

    // Act
    const executionArn = await h.run(arn);

    // Assess
    expect((await output(executionArn)).error.Error).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(failures(await h.history(executionArn))[0]).toMatchObject({ resourceType: 'dynamodb', resource: 'putItem' });
  });

  it('names Route 53 Resolver errors Route53Resolver.<Error>Exception', async () => {
    // Prepare
    const arn = await h.createMachine(
      'rule',
      taskMachine({
        Resource: 'arn:aws:states:::aws-sdk:route53resolver:getResolverRule',
        Parameters: { ResolverRuleId: 'rslvr-rr-0000000000000000' },
        Catch: catchAll,
      }),
    );

    // Act
    const executionArn = await h.run(arn);

    // Assess: without the simulated Resolver, the endpoint's unknown-target error is not a modelled one.
    const expected = h.sim.services.has('route53resolver')
      ? 'Route53Resolver.ResourceNotFoundException'
      : 'Route53Resolver.Route53ResolverException';
    expect((await output(executionArn)).error.Error).toBe(expected);
  });

  it('names every EC2 error Ec2.Ec2Exception, with the EC2 error code in the Cause', async () => {
    // Prepare
    const arn = await h.createMachine(
      'route',
      taskMachine({
        Resource: 'arn:aws:states:::aws-sdk:ec2:replaceRoute',
        Parameters: { RouteTableId: 'rtb-0123', DestinationCidrBlock: '10.10.0.0/16', NetworkInterfaceId: 'eni-1' },
        Catch: [{ ErrorEquals: ['Ec2.Ec2Exception'], ResultPath: '$.error', Next: 'Caught' }],
      }),
    );
    const hasEc2 = h.sim.services.has('ec2');
    if (hasEc2) {
      h.sim.faults.add({
        service: 'ec2',
        action: 'ReplaceRoute',
        errorRate: 1,
        errorCode: 'InvalidRouteTableID.NotFound',
      });
    }

    // Act
    const executionArn = await h.run(arn);

    // Assess
    const { error } = await output(executionArn);
    expect(error.Error).toBe('Ec2.Ec2Exception');
    expect(error.Cause).toContain(hasEc2 ? 'Error Code: InvalidRouteTableID.NotFound' : 'Error Code: InvalidAction');
  });

  it('names a Lambda task error by the function errorType, with the error payload as Cause', async () => {
    // Prepare
    let calls = 0;
    h.lambda.register({
      name: 'choose',
      handler: async () => {
        calls++;
        throw new GatewayUnhealthyError('no healthy gateway');
      },
    });
    const arn = await h.createMachine(
      'choose',
      taskMachine({
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'choose', Payload: {} },
        Retry: [{ ErrorEquals: ['GatewayUnhealthyError'], MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Caught' }],
      }),
    );

    // Act
    const executionArn = await h.run(arn);

    // Assess
    expect(calls).toBe(2);
    const { error } = await output(executionArn);
    expect(error.Error).toBe('GatewayUnhealthyError');
    expect(JSON.parse(error.Cause)).toMatchObject({
      errorType: 'GatewayUnhealthyError',
      errorMessage: 'no healthy gateway',
    });
    expect(failures(await h.history(executionArn))[1]).toMatchObject({ resourceType: 'lambda', resource: 'invoke' });
  });

  it('fails the execution with the error of an uncaught bare-ARN Lambda task', async () => {
    // Prepare
    const functionArn = h.lambda.register({
      name: 'observe',
      handler: async () => {
        throw new GatewayUnhealthyError('tunnels down');
      },
    });
    const arn = await h.createMachine('observe', {
      StartAt: 'Observe',
      States: { Observe: { Type: 'Task', Resource: functionArn, End: true } },
    });

    // Act
    const executionArn = await h.run(arn);

    // Assess
    const execution = await h.sfn.waitForExecution(executionArn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('GatewayUnhealthyError');
    const events = await h.history(executionArn);
    expect(events.map((e) => e.type).slice(-3)).toEqual([
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'ExecutionFailed',
    ]);
    expect(events.at(-1)?.executionFailedEventDetails).toMatchObject({ error: 'GatewayUnhealthyError' });
    expect(JSON.parse(events.at(-1)?.executionFailedEventDetails?.cause ?? '{}').errorMessage).toBe('tunnels down');
  });

  it('names an unknown function Lambda.ResourceNotFoundException', async () => {
    // Prepare
    const arn = await h.createMachine(
      'ghost',
      taskMachine({
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'ghost', Payload: {} },
        Catch: catchAll,
      }),
    );

    // Act
    const executionArn = await h.run(arn);

    // Assess
    expect((await output(executionArn)).error.Error).toBe('Lambda.ResourceNotFoundException');
  });
});
