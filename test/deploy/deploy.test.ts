import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeployError, deployTemplate } from '../../sim/deploy/deploy.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { EventsService } from '../../sim/services/events.js';
import type { LambdaService } from '../../sim/services/lambda/index.js';
import type { SnsService } from '../../sim/services/sns.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/deploy');
const fixture = (name: string) => resolve(fixtures, name);
const intrinsics = fixture('intrinsics.yaml');

/** The DeployError a deploy failed with, or a thrown assertion if it succeeded. */
async function deployFailure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the deploy to fail, but it succeeded');
}

describe('deployTemplate', () => {
  let sim: SimAccount;
  let dynamodb: DynamoDBClient;
  let events: EventBridgeClient;
  let sfn: SFNClient;
  let sns: SNSClient;

  beforeAll(async () => {
    sim = await startSim();
    const aws = { endpoint: sim.endpoint, region: 'eu-west-2', maxAttempts: 1 };
    dynamodb = new DynamoDBClient(aws);
    events = new EventBridgeClient(aws);
    sfn = new SFNClient(aws);
    sns = new SNSClient(aws);
  });
  afterAll(async () => {
    for (const client of [dynamodb, events, sfn, sns]) client.destroy();
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
  });

  describe('with the defaults of every parameter', () => {
    it('creates the DynamoDB table named by Fn::Sub, on demand because Fn::If dropped its throughput', async () => {
      // Act
      await deployTemplate({ templatePath: intrinsics, sim });

      // Assess
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'cgw-state-dev' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      await expect(
        dynamodb.send(new PutItemCommand({ TableName: 'cgw-state-dev', Item: { pk: { S: 'group#vendor' } } })),
      ).resolves.toBeDefined();
    });

    it('creates the SNS topic named by Fn::Join and skips the resource whose Condition is false', async () => {
      // Act
      const stack = await deployTemplate({ templatePath: intrinsics, sim });

      // Assess
      const topics = sim.service<SnsService>('sns').topics;
      expect([...topics]).toEqual(['arn:aws:sns:eu-west-2:123456789012:cgw-alerts-dev']);
      expect(stack.resources.map((r) => r.logicalId)).not.toContain('ProdPagerTopic');
      const published = await sns.send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-2:123456789012:cgw-alerts-dev', Message: 'hello' }),
      );
      expect(published.MessageId).toBeTruthy();
    });

    it('creates the state machine with every ASL placeholder filled from DefinitionSubstitutions', async () => {
      // Act
      await deployTemplate({ templatePath: intrinsics, sim });

      // Assess
      const machine = await sfn.send(
        new DescribeStateMachineCommand({
          stateMachineArn: 'arn:aws:states:eu-west-2:123456789012:stateMachine:cgw-notify',
        }),
      );
      expect(machine.name).toBe('cgw-notify');
      expect(machine.definition).not.toContain('${');
      const definition = JSON.parse(machine.definition!);
      expect(definition.Comment).toBe(
        'Placeholders filled by DefinitionSubstitutions: arn:aws:sns:eu-west-2:123456789012:cgw-alerts-dev cgw-state-dev',
      );
      expect(definition.States.Describe.Result).toEqual({
        topic: 'arn:aws:sns:eu-west-2:123456789012:cgw-alerts-dev',
        table: 'cgw-state-dev',
        tableArn: 'arn:aws:dynamodb:eu-west-2:123456789012:table/cgw-state-dev',
        firstVendorCidr: '10.20.0.0/16',
        label: 'green',
        region: 'eu-west-2',
      });
    });

    it('creates the schedule rule, disabled by Fn::If, with its state machine target and Fn::Sub input', async () => {
      // Act
      await deployTemplate({ templatePath: intrinsics, sim });

      // Assess
      const rule = await events.send(new DescribeRuleCommand({ Name: 'cgw-sweep' }));
      expect(rule.ScheduleExpression).toBe('rate(15 minutes)');
      expect(rule.State).toBe('DISABLED');
      expect(rule.EventPattern).toBeUndefined();
      const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: 'cgw-sweep' }));
      expect(Targets).toEqual([
        {
          Id: 'notify',
          Arn: 'arn:aws:states:eu-west-2:123456789012:stateMachine:cgw-notify',
          Input: '{"reason":"sweep","table":"cgw-state-dev"}',
        },
      ]);
    });

    it('creates the event-pattern rule with its resolved pattern and an InputPath target found by Ref', async () => {
      // Act
      await deployTemplate({ templatePath: intrinsics, sim });

      // Assess
      const rule = await events.send(new DescribeRuleCommand({ Name: 'cgw-instance-state' }));
      expect(rule.State).toBe('ENABLED');
      expect(JSON.parse(rule.EventPattern!)).toEqual({
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['terminated'] },
      });
      const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: 'cgw-instance-state' }));
      expect(Targets).toEqual([
        { Id: 'notify', Arn: 'arn:aws:states:eu-west-2:123456789012:stateMachine:cgw-notify', InputPath: '$.detail' },
      ]);
    });

    it('resolves every Output: Ref, GetAtt, pseudo parameters, Sub with and without variables, Join, Select, Split, If', async () => {
      // Act
      const stack = await deployTemplate({ templatePath: intrinsics, sim });

      // Assess
      expect(stack.outputs).toEqual({
        TableName: 'cgw-state-dev',
        TableArn: 'arn:aws:dynamodb:eu-west-2:123456789012:table/cgw-state-dev',
        TopicArn: 'arn:aws:sns:eu-west-2:123456789012:cgw-alerts-dev',
        StateMachineArn: 'arn:aws:states:eu-west-2:123456789012:stateMachine:cgw-notify',
        StateMachineName: 'cgw-notify',
        RuleName: 'cgw-sweep',
        StackArnPrefix: 'arn:aws:cloudformation:eu-west-2:123456789012:stack/cgw-autopilot',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's ${!Literal} escape, not a JS template
        PlainSub: 'no variables here, and ${Literal} stays',
        SubWithVariables: 'cgw:10.30.0.0/16@eu-west-2',
        SplitThenJoin: 'a|b|c',
        Mode: 'development',
      });
      expect(stack.parameters).toEqual({
        Env: 'dev',
        Prefix: 'cgw',
        SweepMinutes: '15',
        VendorCidrs: ['10.20.0.0/16', '10.30.0.0/16'],
      });
    });
  });

  describe('with parameter overrides', () => {
    it('takes the overrides, turning the IsProd condition and everything hanging on it', async () => {
      // Act
      const stack = await deployTemplate({
        templatePath: intrinsics,
        sim,
        stackName: 'cgw-prod',
        parameterOverrides: { Env: 'prod', Prefix: 'vendor-a', SweepMinutes: '5' },
      });

      // Assess
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'vendor-a-state-prod' }));
      expect(Table?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
      expect(Table?.BillingModeSummary?.BillingMode ?? 'PROVISIONED').toBe('PROVISIONED');
      expect([...sim.service<SnsService>('sns').topics].sort()).toEqual([
        'arn:aws:sns:eu-west-2:123456789012:vendor-a-alerts-prod',
        'arn:aws:sns:eu-west-2:123456789012:vendor-a-pager',
      ]);
      const sweep = await events.send(new DescribeRuleCommand({ Name: 'vendor-a-sweep' }));
      expect(sweep).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
      const instanceState = await events.send(new DescribeRuleCommand({ Name: 'vendor-a-instance-state' }));
      expect(JSON.parse(instanceState.EventPattern!).detail).toEqual({ state: ['stopped', 'terminated'] });
      expect(stack.outputs.Mode).toBe('production');
      expect(stack.outputs.StackArnPrefix).toBe('arn:aws:cloudformation:eu-west-2:123456789012:stack/cgw-prod');
    });

    it.each([
      [{ Env: 'staging' }, "parameter Env must be one of dev, prod, got 'staging'"],
      [{ Prefix: 'Bad_Prefix' }, "parameter Prefix does not match [a-z][a-z0-9-]*: 'Bad_Prefix'"],
      [{ SweepMinutes: 'ten' }, "parameter SweepMinutes must be a number, got 'ten'"],
      [{ SweepMinutes: '90' }, 'parameter SweepMinutes must be between 1 and 60, got 90'],
      [{ AlarmEmail: 'ops@example.com' }, 'parameter AlarmEmail is not declared in the template'],
    ])('rejects %j naming the file and the parameter, and creates nothing', async (overrides, message) => {
      // Act
      const error = await deployFailure(
        deployTemplate({ templatePath: intrinsics, sim, parameterOverrides: overrides }),
      );

      // Assess
      expect(error).toBeInstanceOf(DeployError);
      expect(error.message).toBe(`${intrinsics}: ${message}`);
      expect(sim.service<SnsService>('sns').topics.size).toBe(0);
      expect(sim.service<EventsService>('events').rules.size).toBe(0);
    });
  });

  describe('with a template it cannot deploy', () => {
    it.each([
      [
        'bad-unknown-type.yaml',
        'Resources.WorkBucket: resource type AWS::S3::Bucket is not supported by the local deploy',
      ],
      ['bad-function-property.yaml', 'Resources.EchoFunction.Properties.Layers is not supported by the local deploy'],
      [
        'bad-import-value.yaml',
        'Resources.AlertsTopic.Properties.TopicName: Fn::ImportValue is not supported by the local deploy',
      ],
      [
        'bad-undeclared-ref.yaml',
        'Resources.AlertsTopic.Properties.TopicName: Ref AlertTopicName names no parameter or resource',
      ],
      [
        'bad-circular.yaml',
        'circular dependency: Resources.FirstTopic (Properties.TopicName) -> SecondTopic (Properties.TopicName) -> FirstTopic',
      ],
      [
        'bad-dependson-cycle.yaml',
        'circular dependency: Resources.FirstTopic (DependsOn) -> SecondTopic (DependsOn) -> FirstTopic',
      ],
      [
        'bad-asl-placeholder.yaml',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a JS template
        'Resources.NotifyStateMachine: ${TableName} in asl/unfilled.asl.json has no DefinitionSubstitutions value',
      ],
      ['bad-undeclared-condition.yaml', 'Resources.PagerTopic.Condition: condition IsProduction is not declared'],
      ['bad-max-length.yaml', 'parameter TopicName must contain at most 10 characters, got 28'],
    ])('fails on %s with a message naming the file, resource and property', async (file, message) => {
      // Act
      const error = await deployFailure(deployTemplate({ templatePath: fixture(file), sim }));

      // Assess
      expect(error).toBeInstanceOf(DeployError);
      expect(error.message).toBe(`${fixture(file)}: ${message}`);
    });
  });

  describe('with Rules', () => {
    it('fails a deploy whose parameters break an assertion, with its AssertDescription', async () => {
      // Act
      const error = await deployFailure(
        deployTemplate({ templatePath: fixture('bad-rules.yaml'), sim, parameterOverrides: { Paging: 'true' } }),
      );

      // Assess
      expect(error).toBeInstanceOf(DeployError);
      expect(error.message).toBe(
        `${fixture('bad-rules.yaml')}: Rules.TopicNamedWhenPaging: TopicName is required when Paging is true`,
      );
    });

    it('skips a rule whose RuleCondition does not hold', async () => {
      // Act
      const stack = await deployTemplate({ templatePath: fixture('bad-rules.yaml'), sim });

      // Assess
      expect(stack.physical.AlertsTopic).toMatch(/^arn:aws:sns:/);
    });
  });

  describe('with a function', () => {
    it('resolves the Handler in the artifact root as Lambda does: a path from the project fails', async () => {
      // Act
      const error = await deployFailure(deployTemplate({ templatePath: fixture('bad-handler-path.yaml'), sim }));

      // Assess
      expect(error).toBeInstanceOf(DeployError);
      expect(error.message).toMatch(
        /Resources\.EchoFunction\.Properties\.Handler: Handler functions\/echo\/index\.handler: no module functions\/echo\/index\(\.js\|\.mjs\|\.cjs\) in its artifact root .*EchoFunction \(Runtime\.ImportModuleError\)$/,
      );
    });

    it('bundles and registers it with Globals merged into its environment, and wires its EventBridgeRule', async () => {
      // Prepare
      const templatePath = fixture('function.yaml');
      const stack = await deployTemplate({ templatePath, sim, parameterOverrides: { Greeting: 'bonjour' } });
      const lambda = sim.service<LambdaService>('lambda');
      const tableName = stack.physical.StateTable!.split('/').pop();

      // Act
      const direct = await lambda.invoke(stack.outputs.FunctionArn as string, { ping: 1 });
      // EC2 puts its own events on the bus (PutEvents may not claim an aws.* source).
      const bus = sim.service<EventsService>('events');
      bus.publish({
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: '123456789012',
        time: '2026-01-05T09:00:00Z',
        region: 'eu-west-2',
        resources: [],
        detail: { 'instance-id': 'i-0123456789abcdef0', state: 'terminated' },
      });
      await bus.settled();
      // The bus hands an Event invocation over (202) before the handler has run: wait for its record.
      await vi.waitFor(() => expect(lambda.invocations).toHaveLength(2), { timeout: 60_000, interval: 5 });

      // Assess
      expect(stack.outputs.FunctionArn).toMatch(/^arn:aws:lambda:eu-west-2:123456789012:function:cgw-autopilot-Echo/);
      expect(tableName).toMatch(/^cgw-autopilot-StateTable-[0-9A-F]{12}$/);
      expect(direct.payload).toEqual({
        event: { ping: 1 },
        greeting: 'bonjour',
        tableName,
        tableArn: stack.physical.StateTable,
        served: 1,
      });
      expect(stack.rules).toEqual([
        expect.objectContaining({ origin: 'EchoFunction.Terminated', target: stack.outputs.FunctionArn }),
      ]);
      expect(lambda.invocations).toHaveLength(2);
      expect(lambda.invocations[1]).toMatchObject({
        invocationType: 'Event',
        payload: { 'instance-id': 'i-0123456789abcdef0', state: 'terminated' },
        outcome: { result: { event: { 'instance-id': 'i-0123456789abcdef0', state: 'terminated' } } },
      });
    });

    it('runs concurrent invocations in environments of their own, reuses an idle one, and starts cold after a deploy', async () => {
      // Prepare
      const templatePath = fixture('function.yaml');
      const lambda = sim.service<LambdaService>('lambda');
      const served = async (arn: string) => ((await lambda.invoke(arn, {})).payload as { served: number }).served;
      const first = await deployTemplate({ templatePath, sim });
      const arn = first.outputs.FunctionArn as string;

      // Act
      const concurrent = await Promise.all([served(arn), served(arn)]);
      const warm = await served(arn);
      await sim.reset();
      const second = await deployTemplate({ templatePath, sim });
      const redeployed = await served(second.outputs.FunctionArn as string);

      // Assess: each environment is a module instance of its own, as each Lambda execution environment is.
      expect(concurrent).toEqual([1, 1]);
      expect(warm).toBe(2);
      expect(redeployed).toBe(1);
    });

    it("releases its environments' module instances once the function is gone, however many deploys ran", async () => {
      // Prepare: each echo module instance announces its state, watched by a FinalizationRegistry.
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      let started = 0;
      let released = 0;
      const registry = new FinalizationRegistry(() => {
        released++;
      });
      const hook = globalThis as { echoStarted?: (state: object) => void };
      hook.echoStarted = (state) => {
        started++;
        registry.register(state, 'echo');
      };
      const templatePath = fixture('function.yaml');
      const lambda = sim.service<LambdaService>('lambda');

      // Act: three deploys, each cold-starting two environments, then the account reset drops them all.
      try {
        // The stack is held only by the helper's frame, gone once it returns, as after a drill scenario.
        const deployAndInvoke = async () => {
          await sim.reset();
          const stack = await deployTemplate({ templatePath, sim });
          const arn = stack.outputs.FunctionArn as string;
          await Promise.all([lambda.invoke(arn, {}), lambda.invoke(arn, {})]);
        };
        for (let deploy = 0; deploy < 3; deploy++) await deployAndInvoke();
        await sim.reset();
      } finally {
        delete hook.echoStarted;
      }
      const deadline = Date.now() + 60_000;
      while (released < started && Date.now() < deadline) {
        gc();
        await nextTurn();
      }

      // Assess: six environments started, and none of their modules outlives its function.
      expect(started).toBe(6);
      expect(released).toBe(6);
    });

    it("counts a function's timeout from the end of its Init phase, as Lambda does, not from its import", async () => {
      // Prepare: the module takes 1.5 s to import, the function's timeout is 1 s.
      const stack = await deployTemplate({ templatePath: fixture('function.yaml'), sim });
      const lambda = sim.service<LambdaService>('lambda');

      // Act
      const cold = await lambda.invoke(stack.outputs.SlowInitFunctionArn as string, {});

      // Assess
      expect(cold.functionError).toBeUndefined();
      expect(cold.payload).toBe('initialised');
    });
  });
});
