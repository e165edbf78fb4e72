import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SIM_ACCOUNT_ID, SIM_DEFAULT_REGION } from '../core/service.js';
import type { SimServer } from '../server.js';
import type { CloudFormationService } from '../services/cloudformation.js';
import type { ExecutionEnvironment, LambdaHandler, LambdaService } from '../services/lambda/service.js';
import { bundledArtifacts, type FunctionArtifact, samBuildArtifacts } from './artifacts.js';
import { readCfnTemplate } from './cfn-yaml.js';
import { DeployError, evaluateCondition, type ResolveScope, referencesIn, resolveValue } from './intrinsics.js';

export { DeployError } from './intrinsics.js';

type Resource = {
  Type?: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
};

export interface DeployedResource {
  logicalId: string;
  type: string;
  physicalId: string;
  /** Declared and accepted, but not simulated (IAM, log groups, alarms): nothing enforces them locally. */
  simulated: boolean;
}

export interface DeployedStack {
  stackName: string;
  parameters: Record<string, string | string[]>;
  resources: DeployedResource[];
  outputs: Record<string, unknown>;
  /** Logical id -> ARN, for state machines, functions, topics; logical id -> name for tables. */
  physical: Record<string, string>;
  /** Function logical id -> its entry point, and function name -> logical id, to name a failing handler's file. */
  entryPoints: Record<string, string>;
  /** Where the functions' code came from: sam build's artifacts (.aws-sam/build) or the project's bundler. */
  artifacts?: FunctionArtifact['origin'];
  functionLogicalIds: Record<string, string>;
  /** Rules created from the template (name -> the logical id and event of its origin). */
  rules: { name: string; origin: string; target: string; pattern?: unknown; schedule?: string }[];
  /** CloudWatch alarms with their resolved properties: the drill evaluates them on the metrics functions emit. */
  alarms: Record<string, Record<string, unknown>>;
  /** Function logical id -> the execution environments started so far (cold starts). */
  environments: Record<string, number>;
  /** Every cold start: the function's logical id and when it began (performance.now, as the request log). */
  coldStarts: { logicalId: string; at: number }[];
}

export interface LocalDeployOptions {
  templatePath: string;
  sim: SimServer;
  stackName?: string;
  parameterOverrides?: Record<string, string>;
  /**
   * Where the project's bundler writes the functions; given, it is used even when sam build's
   * artifacts exist. Without it: .aws-sam/build when present, else a folder per process under dist/.
   */
  bundleDir?: string;
  /**
   * Function logical id -> the initialisation time (ms) Lambda spends on each new execution environment
   * of it, e.g. its bundle's cold import measured in a fresh Node process (bench/routes-bundles.ts).
   * A cold start then takes at least that long in wall-clock time before the handler runs; the import
   * in this process may take longer and is never shortened. Without it a cold start costs only the
   * in-process import.
   */
  coldStartMs?: Record<string, number>;
}

/** Properties the local deploy reads, or knowingly accepts without simulating, per resource type. */
const FUNCTION_PROPERTIES = new Set([
  'Handler',
  'Runtime',
  'CodeUri',
  'Architectures',
  'MemorySize',
  'Timeout',
  'Environment',
  'Events',
  'Policies',
  'Role',
  'Tracing',
  'Description',
  'FunctionName',
  'VpcConfig',
  'ReservedConcurrentExecutions',
  'LoggingConfig',
  'Tags',
  'EphemeralStorage',
  'RecursiveLoop',
]);
const STATE_MACHINE_PROPERTIES = new Set([
  'DefinitionUri',
  'DefinitionSubstitutions',
  'Type',
  'Policies',
  'Role',
  'Events',
  'Logging',
  'Tracing',
  'Name',
  'Tags',
]);
/** Types that are declared for AWS and accepted here without a local counterpart. */
const NOT_SIMULATED = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::SNS::TopicPolicy',
  'AWS::KMS::Key',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::Subscription',
  'AWS::Lambda::Permission',
]);

const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };

/**
 * Bundles live under the template's folder so that packages left External (the AWS SDK) resolve
 * from its node_modules; one folder per process, so parallel test files never read each other's
 * half-written bundles, removed when the process ends.
 */
function bundleDirFor(templatePath: string): string {
  const hash = createHash('sha256').update(resolve(templatePath)).digest('hex').slice(0, 12);
  const dir = join(dirname(resolve(templatePath)), 'dist', '.local-deploy', `${hash}-${process.pid}`);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const bundleCache = new Map<string, Promise<Map<string, FunctionArtifact>>>();

/**
 * What each function runs, as a deploy would: sam build's artifacts when .aws-sam/build is present
 * (and no bundleDir is asked for), else the project's bundles, built once per process and template
 * (each deploy still cold-starts them).
 */
function artifactsOf(templatePath: string, bundleDir?: string): Promise<Map<string, FunctionArtifact>> {
  if (!bundleDir) {
    const built = samBuildArtifacts(templatePath);
    if (built) return Promise.resolve(built);
  }
  const key = `${resolve(templatePath)}\0${bundleDir ?? ''}`;
  let bundles = bundleCache.get(key);
  if (!bundles) {
    bundles = bundledArtifacts(templatePath, bundleDir ?? bundleDirFor(templatePath));
    bundleCache.set(key, bundles);
    bundles.catch(() => bundleCache.delete(key));
  }
  return bundles;
}

/**
 * The local equivalent of `sam deploy`: creates in the simulated account what template.yaml
 * declares, resolving intrinsics against the resources created so far. Anything it does not
 * understand fails the deploy with a message naming the resource and property.
 */
export async function deployTemplate(options: LocalDeployOptions): Promise<DeployedStack> {
  const { sim } = options;
  const templatePath = resolve(options.templatePath);
  const root = dirname(templatePath);
  const template = readCfnTemplate(templatePath);
  const stackName = options.stackName ?? 'cgw-autopilot';
  const resources = (template.Resources ?? {}) as Record<string, Resource>;
  const scope: ResolveScope = {
    stackName,
    region: SIM_DEFAULT_REGION,
    accountId: SIM_ACCOUNT_ID,
    parameters: resolveParameters(template, options.parameterOverrides ?? {}, templatePath),
    conditions: {},
    resources: {},
    declared: new Set(Object.keys(resources)),
  };
  checkRules(template, scope, templatePath);
  for (const [name, expr] of Object.entries((template.Conditions ?? {}) as Record<string, unknown>)) {
    scope.conditions[name] = evaluateCondition(expr, scope, `${templatePath}: Conditions.${name}`);
  }
  const globals = ((template.Globals as Record<string, unknown> | undefined)?.Function ?? {}) as Record<
    string,
    unknown
  >;
  const aws = { endpoint: sim.endpoint, region: SIM_DEFAULT_REGION, credentials };
  const clients = {
    dynamodb: new DynamoDBClient(aws),
    sns: new SNSClient(aws),
    sfn: new SFNClient(aws),
    events: new EventBridgeClient(aws),
  };
  const stack: DeployedStack = {
    stackName,
    parameters: scope.parameters,
    resources: [],
    outputs: {},
    physical: {},
    rules: [],
    alarms: {},
    entryPoints: {},
    functionLogicalIds: {},
    environments: {},
    coldStarts: [],
  };
  const lambda = sim.service<LambdaService>('lambda');
  let artifacts: Map<string, FunctionArtifact> | undefined;

  for (const logicalId of deployOrder(resources, globals, templatePath)) {
    const resource = resources[logicalId]!;
    const where = `${templatePath}: Resources.${logicalId}`;
    if (resource.Condition && !(resource.Condition in scope.conditions)) {
      throw new DeployError(`${where}.Condition: condition ${resource.Condition} is not declared`);
    }
    if (resource.Condition && !scope.conditions[resource.Condition]) continue;
    const type = resource.Type ?? '';
    const record = (physicalId: string, attributes: Record<string, string>, simulated = true) => {
      scope.resources[logicalId] = { ref: physicalId, attributes };
      stack.resources.push({ logicalId, type, physicalId, simulated });
      stack.physical[logicalId] = attributes.Arn ?? physicalId;
    };
    const props = () =>
      resolveValue(resource.Properties ?? {}, scope, `${where}.Properties`) as Record<string, unknown>;

    switch (type) {
      case 'AWS::DynamoDB::Table': {
        const p = props();
        const tableName = (p.TableName as string | undefined) ?? physicalName(stackName, logicalId);
        await clients.dynamodb.send(
          new CreateTableCommand({
            TableName: tableName,
            AttributeDefinitions: p.AttributeDefinitions as never,
            KeySchema: p.KeySchema as never,
            BillingMode: (p.BillingMode as 'PAY_PER_REQUEST' | undefined) ?? 'PROVISIONED',
            ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput as never } : {}),
            ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as never } : {}),
          }),
        );
        const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
        if (ttl?.Enabled && ttl.AttributeName) {
          // dynalite records TTL settings but, like DynamoDB's best-effort sweeper, does not promise deletion times.
          await clients.dynamodb
            .send(
              new UpdateTimeToLiveCommand({
                TableName: tableName,
                TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
              }),
            )
            .catch(() => undefined);
        }
        record(tableName, { Arn: `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${tableName}` });
        break;
      }
      case 'AWS::SNS::Topic': {
        const p = props();
        const topicName = (p.TopicName as string | undefined) ?? physicalName(stackName, logicalId);
        const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: topicName }));
        record(TopicArn!, { TopicName: topicName, TopicArn: TopicArn! });
        break;
      }
      case 'AWS::Serverless::Function': {
        rejectUnknown(resource.Properties ?? {}, FUNCTION_PROPERTIES, where);
        artifacts ??= await artifactsOf(templatePath, options.bundleDir);
        const artifact = artifacts.get(logicalId);
        if (!artifact) throw new DeployError(`${where}: Metadata.BuildMethod must be esbuild with EntryPoints`);
        stack.artifacts = artifact.origin;
        const merged = mergeGlobals(globals, resource.Properties ?? {});
        const p = resolveValue(withoutEvents(merged), scope, `${where}.Properties`) as Record<string, unknown>;
        const functionName = (p.FunctionName as string | undefined) ?? physicalName(stackName, logicalId, 64);
        const environment = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
          {}) as Record<string, unknown>;
        const arn = lambda.register({
          name: functionName,
          ...executionEnvironments(stack, artifact, options.coldStartMs?.[logicalId] ?? 0, () => {
            stack.environments[logicalId] = (stack.environments[logicalId] ?? 0) + 1;
            stack.coldStarts.push({ logicalId, at: performance.now() });
          }),
          environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)])),
          timeoutSec: Number(p.Timeout ?? 3),
          memoryMb: Number(p.MemorySize ?? 128),
          vpcSubnetIds: ((p.VpcConfig as { SubnetIds?: unknown[] } | undefined)?.SubnetIds ?? []).map(String),
        });
        record(functionName, { Arn: arn });
        stack.entryPoints[logicalId] = artifact.entryPoint;
        stack.functionLogicalIds[functionName] = logicalId;
        await createEventSources(logicalId, arn, merged.Events, scope, stack, clients.events, where);
        break;
      }
      case 'AWS::Serverless::StateMachine': {
        rejectUnknown(resource.Properties ?? {}, STATE_MACHINE_PROPERTIES, where);
        const p = resolveValue(withoutEvents(resource.Properties ?? {}), scope, `${where}.Properties`) as Record<
          string,
          unknown
        >;
        if (typeof p.DefinitionUri !== 'string')
          throw new DeployError(`${where}.Properties.DefinitionUri must be a file path`);
        const substitutions = (p.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
        const text = readFileSync(resolve(root, p.DefinitionUri), 'utf8').replace(
          /\$\{([A-Za-z0-9_.:]+)\}/g,
          (_whole, key: string) => {
            if (!(key in substitutions))
              throw new DeployError(`${where}: \${${key}} in ${p.DefinitionUri} has no DefinitionSubstitutions value`);
            return String(substitutions[key]);
          },
        );
        const name = (p.Name as string | undefined) ?? physicalName(stackName, logicalId, 80);
        const created = await clients.sfn.send(
          new CreateStateMachineCommand({
            name,
            definition: text,
            roleArn: `arn:aws:iam::${scope.accountId}:role/${name}-role`,
            type: (p.Type as 'STANDARD' | 'EXPRESS' | undefined) ?? 'STANDARD',
          }),
        );
        record(created.stateMachineArn!, { Arn: created.stateMachineArn!, Name: name });
        await createEventSources(
          logicalId,
          created.stateMachineArn!,
          resource.Properties?.Events,
          scope,
          stack,
          clients.events,
          where,
        );
        break;
      }
      case 'AWS::Events::Rule': {
        const p = props();
        const ruleName = (p.Name as string | undefined) ?? physicalName(stackName, logicalId, 64);
        const { RuleArn } = await clients.events.send(
          new PutRuleCommand({
            Name: ruleName,
            ...(p.EventPattern ? { EventPattern: JSON.stringify(p.EventPattern) } : {}),
            ...(p.ScheduleExpression ? { ScheduleExpression: p.ScheduleExpression as string } : {}),
            State: p.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
          }),
        );
        const targets = (p.Targets ?? []) as { Id: string; Arn: string; Input?: string; InputPath?: string }[];
        if (targets.length)
          await clients.events.send(new PutTargetsCommand({ Rule: ruleName, Targets: targets as never }));
        for (const t of targets) {
          stack.rules.push({
            name: ruleName,
            origin: logicalId,
            target: t.Arn,
            pattern: p.EventPattern,
            ...(p.ScheduleExpression ? { schedule: p.ScheduleExpression as string } : {}),
          });
        }
        record(ruleName, { Arn: RuleArn! });
        break;
      }
      default: {
        if (!NOT_SIMULATED.has(type)) {
          throw new DeployError(`${where}: resource type ${type || '(none)'} is not supported by the local deploy`);
        }
        const name = physicalName(stackName, logicalId, type === 'AWS::SQS::Queue' ? 80 : 255);
        if (type === 'AWS::CloudWatch::Alarm') stack.alarms[logicalId] = props();
        const attributes: Record<string, string> =
          type === 'AWS::SQS::Queue'
            ? {
                Arn: `arn:aws:sqs:${scope.region}:${scope.accountId}:${name}`,
                QueueName: name,
                QueueUrl: `https://sqs.${scope.region}.amazonaws.com/${scope.accountId}/${name}`,
              }
            : { Arn: `arn:aws:local:${scope.region}:${scope.accountId}:${logicalId}/${name}`, GroupId: `sg-${name}` };
        record(type === 'AWS::SQS::Queue' ? attributes.QueueUrl! : name, attributes, false);
      }
    }
  }
  for (const [name, output] of Object.entries(
    (template.Outputs ?? {}) as Record<string, { Value?: unknown; Condition?: string }>,
  )) {
    if (output.Condition !== undefined) {
      if (!(output.Condition in scope.conditions)) {
        throw new DeployError(`${templatePath}: Outputs.${name}.Condition ${output.Condition} is not declared`);
      }
      if (!scope.conditions[output.Condition]) continue;
    }
    stack.outputs[name] = resolveValue(output.Value, scope, `${templatePath}: Outputs.${name}`);
  }
  registerStack(sim, stack, template);
  return stack;
}

/** SAM's resource types as CloudFormation lists them once the transform has run. */
const TRANSFORMED_TYPES: Record<string, string> = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::StateMachine': 'AWS::StepFunctions::StateMachine',
};

/** Makes the stack visible to CloudFormation's DescribeStacks and ListStackResources, where the account serves them. */
function registerStack(sim: SimServer, stack: DeployedStack, template: Record<string, unknown>): void {
  const cloudformation = sim.services.get('cloudformation') as CloudFormationService | undefined;
  if (!cloudformation) return;
  const declared = (template.Outputs ?? {}) as Record<string, { Description?: unknown }>;
  const text = (value: unknown) => (Array.isArray(value) ? value.join(',') : String(value));
  cloudformation.register(
    {
      stackName: stack.stackName,
      parameters: Object.fromEntries(Object.entries(stack.parameters).map(([k, v]) => [k, text(v)])),
      outputs: Object.entries(stack.outputs).map(([key, value]) => ({
        key,
        value: text(value),
        ...(typeof declared[key]?.Description === 'string' ? { description: declared[key].Description } : {}),
      })),
      resources: stack.resources.map((r) => ({
        logicalId: r.logicalId,
        physicalId: r.physicalId,
        type: TRANSFORMED_TYPES[r.type] ?? r.type,
      })),
    },
    sim.clock.iso(),
  );
}

type Rule = { RuleCondition?: unknown; Assertions?: { Assert?: unknown; AssertDescription?: string }[] };

/**
 * The template's Rules, as CloudFormation checks them before creating anything: an assertion that
 * does not hold (when its rule's RuleCondition does) fails the deploy with its AssertDescription.
 * Assertions are evaluated with the condition functions over parameters (Fn::Equals, Fn::Not,
 * Fn::And, Fn::Or, Ref); the rule-only functions (Fn::Contains, Fn::EachMemberEquals, ...) fail,
 * naming the rule.
 */
function checkRules(template: Record<string, unknown>, scope: ResolveScope, file: string): void {
  for (const [name, rule] of Object.entries((template.Rules ?? {}) as Record<string, Rule>)) {
    const where = `${file}: Rules.${name}`;
    if (rule.RuleCondition !== undefined && !evaluateCondition(rule.RuleCondition, scope, `${where}.RuleCondition`)) {
      continue;
    }
    for (const [index, assertion] of (rule.Assertions ?? []).entries()) {
      if (!evaluateCondition(assertion.Assert, scope, `${where}.Assertions[${index}]`)) {
        throw new DeployError(`${where}: ${assertion.AssertDescription ?? 'assertion failed'}`);
      }
    }
  }
}

/** Template parameters with defaults and overrides, checked against their declared constraints. */
function resolveParameters(
  template: Record<string, unknown>,
  overrides: Record<string, string>,
  file: string,
): Record<string, string | string[]> {
  const declared = (template.Parameters ?? {}) as Record<
    string,
    {
      Type?: string;
      Default?: unknown;
      AllowedValues?: unknown[];
      AllowedPattern?: string;
      MinValue?: number;
      MaxValue?: number;
      MinLength?: number;
      MaxLength?: number;
    }
  >;
  for (const name of Object.keys(overrides)) {
    if (!(name in declared)) throw new DeployError(`${file}: parameter ${name} is not declared in the template`);
  }
  const values: Record<string, string | string[]> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const raw = overrides[name] ?? (spec.Default === undefined ? undefined : String(spec.Default));
    if (raw === undefined) throw new DeployError(`${file}: parameter ${name} has no default and no value was given`);
    const type = spec.Type ?? 'String';
    if (type === 'Number' && !Number.isFinite(Number(raw)))
      throw new DeployError(`${file}: parameter ${name} must be a number, got '${raw}'`);
    if (
      type === 'Number' &&
      ((spec.MinValue !== undefined && Number(raw) < spec.MinValue) ||
        (spec.MaxValue !== undefined && Number(raw) > spec.MaxValue))
    ) {
      throw new DeployError(
        `${file}: parameter ${name} must be between ${spec.MinValue ?? '-inf'} and ${spec.MaxValue ?? 'inf'}, got ${raw}`,
      );
    }
    if (spec.AllowedValues && !spec.AllowedValues.map(String).includes(raw)) {
      throw new DeployError(`${file}: parameter ${name} must be one of ${spec.AllowedValues.join(', ')}, got '${raw}'`);
    }
    if (spec.MaxLength !== undefined && raw.length > spec.MaxLength) {
      throw new DeployError(
        `${file}: parameter ${name} must contain at most ${spec.MaxLength} characters, got ${raw.length}`,
      );
    }
    if (spec.MinLength !== undefined && raw.length < spec.MinLength) {
      throw new DeployError(
        `${file}: parameter ${name} must contain at least ${spec.MinLength} characters, got ${raw.length}`,
      );
    }
    if (spec.AllowedPattern && !new RegExp(`^(?:${spec.AllowedPattern})$`).test(raw)) {
      throw new DeployError(`${file}: parameter ${name} does not match ${spec.AllowedPattern}: '${raw}'`);
    }
    values[name] =
      type === 'CommaDelimitedList' || type.startsWith('List<')
        ? raw === ''
          ? []
          : raw.split(',').map((s) => s.trim())
        : raw;
  }
  return values;
}

/** Resources in an order where each comes after what it references. */
function deployOrder(resources: Record<string, Resource>, globals: Record<string, unknown>, file: string): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = path.slice(path.findIndex((step) => step.startsWith(`${id} `)));
      throw new DeployError(`${file}: circular dependency: Resources.${[...cycle, id].join(' -> ')}`);
    }
    state.set(id, 'visiting');
    const resource = resources[id]!;
    // Where each dependency is referenced from, so a cycle names the properties that close it.
    const deps = new Map<string, string>();
    // A function also depends on what Globals.Function references (its shared environment).
    const properties =
      resource.Type === 'AWS::Serverless::Function'
        ? mergeGlobals(globals, resource.Properties ?? {})
        : (resource.Properties ?? {});
    for (const [key, value] of Object.entries(properties)) {
      for (const dep of referencesIn(value)) if (!deps.has(dep)) deps.set(dep, `Properties.${key}`);
    }
    for (const d of [resource.DependsOn ?? []].flat()) if (!deps.has(d)) deps.set(d, 'DependsOn');
    for (const [dep, via] of deps) if (dep in resources && dep !== id) visit(dep, [...path, `${id} (${via})`]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(resources)) visit(id, []);
  return order;
}

function rejectUnknown(properties: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const key of Object.keys(properties)) {
    if (!known.has(key)) throw new DeployError(`${where}.Properties.${key} is not supported by the local deploy`);
  }
}

function withoutEvents(properties: Record<string, unknown>): Record<string, unknown> {
  const { Events: _events, Policies: _policies, ...rest } = properties;
  return rest;
}

function mergeGlobals(globals: Record<string, unknown>, properties: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...globals, ...properties };
  const env = (x: unknown) =>
    ((x as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
  if (globals.Environment || properties.Environment) {
    merged.Environment = { Variables: { ...env(globals.Environment), ...env(properties.Environment) } };
  }
  return merged;
}

/** A CloudFormation-style physical name: stack, logical id and a stable suffix. */
function physicalName(stackName: string, logicalId: string, max = 255): string {
  const suffix = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase();
  const head = `${stackName}-${logicalId}`.slice(0, max - suffix.length - 1);
  return `${head}-${suffix}`;
}

let deployments = 0;
/** Each deployed stack's pools of idle execution environments, one per function. */
const idlePools = new WeakMap<DeployedStack, LambdaHandler[][]>();

/**
 * Lets every idle execution environment of the stack's functions go, as Lambda does after a while
 * without invocations: the next invocation of each function is a cold start.
 */
export function discardIdleEnvironments(stack: DeployedStack): void {
  for (const idle of idlePools.get(stack) ?? []) idle.length = 0;
}

/**
 * A function's execution environments, as Lambda runs them: an invocation takes an idle environment
 * or starts a new one (a cold start: a fresh module instance of the bundle, reading its configuration
 * at import), so concurrent invocations never share SDK clients, retry quotas or module state, and a
 * new deployment starts from cold. A cold start lasts at least initMs of wall-clock time.
 */
function executionEnvironments(
  stack: DeployedStack,
  artifact: FunctionArtifact,
  initMs: number,
  onColdStart: () => void,
): { handler: LambdaHandler; acquire: () => Promise<ExecutionEnvironment> } {
  const deployment = ++deployments;
  const idle: LambdaHandler[] = [];
  idlePools.set(stack, [...(idlePools.get(stack) ?? []), idle]);
  let environments = 0;
  const coldStart = async (): Promise<LambdaHandler> => {
    onColdStart();
    const started = performance.now();
    // Each environment compiles its bundle afresh; V8's code cache on disk spares the sim most of that
    // (the measured initialisation, initMs, is what the environment is charged).
    enableCompileCache(join(tmpdir(), 'cgw-autopilot-compile-cache'));
    const url = `${pathToFileURL(artifact.file).href}?function=${artifact.logicalId}&deployment=${deployment}&environment=${++environments}`;
    const mod = (await import(url)) as Record<string, unknown>;
    const handler = artifact.exportPath.reduce<unknown>(
      (value, key) => (value as Record<string, unknown> | undefined)?.[key],
      mod,
    );
    if (typeof handler !== 'function') {
      throw new DeployError(
        `${artifact.file}: Handler ${artifact.handler} is undefined or not exported (Runtime.HandlerNotFound)`,
      );
    }
    const left = initMs - (performance.now() - started);
    if (left > 0) await new Promise((done) => setTimeout(done, left));
    return handler as LambdaHandler;
  };
  const acquire = async (): Promise<ExecutionEnvironment> => {
    const handler = idle.pop() ?? (await coldStart());
    return { handler, release: () => idle.push(handler) };
  };
  return {
    acquire,
    handler: async (event, context) => {
      const { handler, release } = await acquire();
      try {
        return await handler(event, context);
      } finally {
        release();
      }
    },
  };
}

type EventSource = { Type?: string; Properties?: Record<string, unknown> };

/** SAM event sources of a function or state machine, as EventBridge rules targeting it. */
async function createEventSources(
  logicalId: string,
  targetArn: string,
  events: unknown,
  scope: ResolveScope,
  stack: DeployedStack,
  client: EventBridgeClient,
  where: string,
): Promise<void> {
  for (const [eventName, source] of Object.entries((events ?? {}) as Record<string, EventSource>)) {
    const at = `${where}.Properties.Events.${eventName}`;
    const p = resolveValue(source.Properties ?? {}, scope, `${at}.Properties`) as Record<string, unknown>;
    const ruleName = physicalName(scope.stackName, `${logicalId}${eventName}`, 64);
    let pattern: unknown;
    let schedule: string | undefined;
    switch (source.Type) {
      case 'EventBridgeRule':
      case 'CloudWatchEvent':
        pattern = p.Pattern;
        if (!pattern) throw new DeployError(`${at}.Properties.Pattern is required`);
        break;
      case 'Schedule':
        schedule = p.Schedule as string;
        break;
      case 'ScheduleV2':
        // Simulated with the rule engine: Scheduler's at/rate/cron semantics and target Input are the same.
        schedule = p.ScheduleExpression as string;
        break;
      default:
        throw new DeployError(`${at}.Type ${source.Type ?? '(none)'} is not supported by the local deploy`);
    }
    const enabled = p.Enabled === false || p.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
    await client.send(
      new PutRuleCommand({
        Name: ruleName,
        ...(pattern ? { EventPattern: JSON.stringify(pattern) } : {}),
        ...(schedule ? { ScheduleExpression: schedule } : {}),
        State: enabled,
      }),
    );
    await client.send(
      new PutTargetsCommand({
        Rule: ruleName,
        Targets: [
          {
            Id: `${logicalId}${eventName}Target`.slice(0, 64),
            Arn: targetArn,
            ...(p.Input !== undefined
              ? { Input: typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input) }
              : {}),
            ...(p.InputPath ? { InputPath: p.InputPath as string } : {}),
            ...(p.InputTransformer ? { InputTransformer: p.InputTransformer as never } : {}),
          },
        ],
      }),
    );
    stack.rules.push({
      name: ruleName,
      origin: `${logicalId}.${eventName}`,
      target: targetArn,
      ...(pattern ? { pattern } : {}),
      ...(schedule ? { schedule } : {}),
    });
  }
}
