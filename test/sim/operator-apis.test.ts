import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RunInstancesCommand,
  waitUntilInstanceRunning,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployTemplate } from '../../sim/deploy/deploy.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { Ec2Service } from '../../sim/services/ec2/service.js';
import { failure } from './ec2-fixtures.js';

const root = resolve(import.meta.dirname, '../..');
const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };

describe('APIs an operator reaches for, in the simulated account', { timeout: 120_000 }, () => {
  let sim: SimAccount;
  const config = () => ({ endpoint: sim.endpoint, region: 'eu-west-2', credentials, maxAttempts: 1 });

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
  });

  it('EC2 creates, describes and deletes security groups, refusing duplicates and unknown ids', async () => {
    // Arrange
    const ec2 = new EC2Client(config());
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));

    // Act
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'resolver', Description: 'for the endpoint', VpcId: Vpc!.VpcId }),
    );
    const duplicate = await failure(
      ec2.send(new CreateSecurityGroupCommand({ GroupName: 'resolver', Description: 'again', VpcId: Vpc!.VpcId })),
    );
    const byVpc = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }] }),
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
    const gone = await failure(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] })));

    // Assess
    expect(GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(duplicate.name).toBe('InvalidGroup.Duplicate');
    expect(byVpc.SecurityGroups).toEqual([
      expect.objectContaining({ GroupId, GroupName: 'resolver', Description: 'for the endpoint', VpcId: Vpc!.VpcId }),
    ]);
    expect(gone.name).toBe('InvalidGroup.NotFound');
  });

  it('SNS lists topics, takes subscriptions and describes them', async () => {
    // Arrange
    const sns = new SNSClient(config());
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));

    // Act
    const topics = await sns.send(new ListTopicsCommand({}));
    const email = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    const queue = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:eu-west-2:123456789012:q' }),
    );
    const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    const unknown = await failure(
      sns.send(new GetTopicAttributesCommand({ TopicArn: 'arn:aws:sns:eu-west-2:123456789012:none' })),
    );

    // Assess
    expect(topics.Topics).toEqual([{ TopicArn }]);
    expect(email.SubscriptionArn).toBe('pending confirmation');
    expect(queue.SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
    expect(attributes.Attributes).toMatchObject({ TopicArn, SubscriptionsConfirmed: '1', SubscriptionsPending: '1' });
    expect(listed.Subscriptions?.map((s) => s.Protocol)).toEqual(['email', 'sqs']);
    expect(unknown.name).toBe('NotFoundException');
  });

  it('EventBridge lists the default event bus', async () => {
    // Act
    const { EventBuses } = await new EventBridgeClient(config()).send(new ListEventBusesCommand({}));

    // Assess
    expect(EventBuses).toEqual([{ Name: 'default', Arn: 'arn:aws:events:eu-west-2:123456789012:event-bus/default' }]);
  });

  it('CloudFormation and Lambda describe a locally deployed stack as for a real one', {
    timeout: 180_000,
  }, async () => {
    // Arrange
    await deployTemplate({ templatePath: resolve(root, 'test/fixtures/drill/template.yaml'), sim, stackName: 'demo' });
    const cloudformation = new CloudFormationClient(config());
    const lambda = new LambdaClient(config());

    // Act
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: 'demo' }));
    const { StackResourceSummaries } = await cloudformation.send(new ListStackResourcesCommand({ StackName: 'demo' }));
    const functionName = StackResourceSummaries?.find(
      (r) => r.LogicalResourceId === 'DisableCheckFunction',
    )?.PhysicalResourceId;
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const { Functions } = await lambda.send(new ListFunctionsCommand({}));
    const missing = await failure(cloudformation.send(new DescribeStacksCommand({ StackName: 'other' })));

    // Assess
    expect(Stacks?.[0]).toMatchObject({ StackName: 'demo', StackStatus: 'CREATE_COMPLETE' });
    expect(Stacks?.[0]?.StackId).toMatch(/^arn:aws:cloudformation:eu-west-2:123456789012:stack\/demo\/[0-9a-f-]{36}$/);
    expect(Stacks?.[0]?.Parameters).toEqual([{ ParameterKey: 'StackLabel', ParameterValue: 'example' }]);
    expect(StackResourceSummaries?.map((r) => [r.LogicalResourceId, r.ResourceType])).toContainEqual([
      'ExampleStateMachine',
      'AWS::StepFunctions::StateMachine',
    ]);
    expect(configuration.Environment?.Variables).toEqual({ LABEL: 'example' });
    expect(Functions?.map((f) => f.FunctionName)).toEqual([functionName]);
    expect(missing.name).toBe('ValidationError');
    expect(missing.message).toBe('Stack with id other does not exist');
  });
});

describe('the simulated clock', () => {
  let sim: SimAccount;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    sim.clock.stopFollowing();
    await sim.stop();
  });

  it('POST /_sim/clock/advance says what body it needs, and takes ms or seconds', async () => {
    // Act
    const post = (body?: string) =>
      fetch(`${sim.endpoint}/_sim/clock/advance`, { method: 'POST', ...(body ? { body } : {}) });
    const empty = await post();
    const before = sim.clock.now();
    const ms = await post('{"ms": 1500}');
    const seconds = await post('{"seconds": 2}');

    // Assess
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      error:
        'POST /_sim/clock/advance needs a JSON body {"ms": <milliseconds>} or {"seconds": <seconds>}, a non-negative number',
    });
    expect(ms.status).toBe(200);
    expect(seconds.status).toBe(200);
    expect(sim.clock.now() - before).toBe(3500);
  });

  it('following wall time, a launched instance reaches running and the SDK waiter returns', {
    timeout: 180_000,
  }, async () => {
    // Arrange
    sim.clock.followWallTime(50);
    sim.service<Ec2Service>('ec2').world.delays.pending = 1000;
    const ec2 = new EC2Client({ endpoint: sim.endpoint, region: 'eu-west-2', credentials });
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: '10.0.1.0/24' }));
    const { Instances } = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0a1b2c3d4e5f60718',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: Subnet!.SubnetId,
      }),
    );

    // Act
    const waited = await waitUntilInstanceRunning(
      { client: ec2, maxWaitTime: 170, minDelay: 1, maxDelay: 2 },
      { InstanceIds: [Instances![0]!.InstanceId!] },
    );

    // Assess
    expect(waited.state).toBe('SUCCESS');
    expect(Math.abs(sim.clock.now() - Date.now())).toBeLessThan(5_000);
  });
});
