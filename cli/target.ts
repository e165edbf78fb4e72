import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { GlobalOptions } from './args.js';
import { describeAwsError } from './aws-errors.js';
import { TargetError } from './errors.js';
import { DEFAULT_STACK_NAME, readSamDefaults } from './samconfig.js';

/** Credentials the simulated account accepts; used for --endpoint when none are configured. */
const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDSIMULATED', AWS_SECRET_ACCESS_KEY: 'simulated-secret' };
const LOCAL_REGION = 'eu-west-2';

/** Where the CLI works: a region (and endpoint), and the stack it reads everything else from. */
export interface Target {
  region: string;
  endpoint?: string;
  stackName: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  /** Logical id -> physical id (function name, state machine ARN, table name). */
  resources: Record<string, string>;
  /** Step Functions client for this target. */
  sfn: SFNClient;
  /** Where the stack's name came from, for messages. */
  stackSource: string;
}

/**
 * Resolves the region, endpoint and stack from the flags, the environment and samconfig.toml, and
 * points every AWS SDK client this process creates at them (the product's adapters create theirs
 * from the environment). Does not call AWS.
 */
export function targetSettings(options: GlobalOptions, cwd: string) {
  const sam = readSamDefaults(cwd);
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const region =
    options.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    sam.region ??
    (endpoint ? LOCAL_REGION : undefined);
  if (!region) {
    throw new TargetError('no region: pass --region, set AWS_REGION, or give samconfig.toml a region');
  }
  const stackName = options.stack ?? sam.stackName ?? DEFAULT_STACK_NAME;
  const stackSource = options.stack
    ? '--stack'
    : sam.stackName
      ? 'samconfig.toml'
      : `the default name (no samconfig.toml stack_name)`;
  process.env.AWS_REGION = region;
  if (endpoint) {
    process.env.AWS_ENDPOINT_URL = endpoint;
    if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) Object.assign(process.env, LOCAL_CREDENTIALS);
  }
  return { region, ...(endpoint ? { endpoint } : {}), stackName, stackSource };
}

/** Reads the stack's outputs, parameters and resources from CloudFormation. */
export async function resolveTarget(options: GlobalOptions, cwd: string): Promise<Target> {
  const settings = targetSettings(options, cwd);
  const clientConfig = { region: settings.region, maxAttempts: 2 };
  const cloudformation = new CloudFormationClient(clientConfig);
  const where = `${settings.endpoint ? `at ${settings.endpoint}` : `in ${settings.region}`}`;
  let stack: DescribeStacksCommandOutput;
  try {
    stack = await cloudformation.send(new DescribeStacksCommand({ StackName: settings.stackName }));
  } catch (err) {
    const { name, message } = describeAwsError(err, settings.endpoint);
    if (name === 'ValidationError' && /does not exist/.test(message)) {
      throw new TargetError(
        `no stack named ${settings.stackName} ${where} (name from ${settings.stackSource}; pass --stack NAME)`,
      );
    }
    throw new TargetError(`cannot read stack ${settings.stackName} ${where}: ${message}`);
  }
  const found = stack.Stacks?.[0];
  const outputs = Object.fromEntries((found?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const parameters = Object.fromEntries(
    (found?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
  );
  const resources: Record<string, string> = {};
  try {
    const pages = paginateListStackResources({ client: cloudformation }, { StackName: settings.stackName });
    for await (const page of pages) {
      for (const r of page.StackResourceSummaries ?? ([] as StackResourceSummary[])) {
        if (r.LogicalResourceId && r.PhysicalResourceId) resources[r.LogicalResourceId] = r.PhysicalResourceId;
      }
    }
  } catch (err) {
    throw new TargetError(`cannot list the resources of stack ${settings.stackName}: ${describeAwsError(err).message}`);
  }
  if (!outputs.RouteReconcilerArn) {
    throw new TargetError(`stack ${settings.stackName} has no RouteReconcilerArn output: is it a cgw-autopilot stack?`);
  }
  return {
    ...settings,
    outputs,
    parameters,
    resources,
    sfn: new SFNClient(clientConfig),
  };
}

/** The environment a deployed function runs with: the product's configuration, read as the function reads it. */
export async function functionEnvironment(target: Target, logicalId: string): Promise<Record<string, string>> {
  const name = target.resources[logicalId];
  if (!name) throw new TargetError(`stack ${target.stackName} has no ${logicalId}`);
  try {
    const lambda = new LambdaClient({ region: target.region, maxAttempts: 2 });
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    return config.Environment?.Variables ?? {};
  } catch (err) {
    throw new TargetError(`cannot read the configuration of ${logicalId} (${name}): ${describeAwsError(err).message}`);
  }
}
