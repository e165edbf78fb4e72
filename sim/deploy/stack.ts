import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SimServer } from '../server.js';
import type { FunctionArtifact } from './artifacts.js';
import { DeployError, type ResolveScope } from './intrinsics.js';

export type Resource = {
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
  /** Every cold start: the function's logical id, when it began (performance.now, as the request log) and how long it took. */
  coldStarts: ColdStart[];
}

/** One new execution environment of a function. */
export interface ColdStart {
  logicalId: string;
  /** performance.now() when its Init began. */
  at: number;
  /** The import of its bundle in this process, ms (once the Init ended). */
  importMs?: number;
  /** Its whole Init, ms: the import, or the deploy's coldStartMs for the function when longer. */
  initMs?: number;
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
   * of it, e.g. its bundle's cold import measured in a fresh Node process (bench/bundles.ts). A cold
   * start then takes at least that long in wall-clock time before the handler runs; the import in this
   * process may take longer and is never shortened. Without it a cold start costs only the in-process
   * import.
   */
  coldStartMs?: Record<string, number>;
}

/** The SDK clients a deploy creates resources through, as CloudFormation would call the services. */
export interface DeployClients {
  dynamodb: DynamoDBClient;
  sns: SNSClient;
  sfn: SFNClient;
  events: EventBridgeClient;
}

/** What a resource's deployer works with: the resource, the stack so far, and the means to create it. */
export interface ResourceDeployment {
  logicalId: string;
  resource: Resource;
  /** `file: Resources.Id`, the start of every error about this resource. */
  where: string;
  scope: ResolveScope;
  stack: DeployedStack;
  clients: DeployClients;
  sim: SimServer;
  options: LocalDeployOptions;
  templatePath: string;
  /** Globals.Function of the template, which SAM merges into each function. */
  functionGlobals: Record<string, unknown>;
  /** The resource's Properties with every intrinsic resolved against what exists so far. */
  properties(): Record<string, unknown>;
  /** What Ref and Fn::GetAtt of this resource give from now on, and its physical id in the stack. */
  record(physicalId: string, attributes: Record<string, string>, simulated?: boolean): void;
}

/** Creates one resource of its type in the simulated account. */
export type ResourceDeployer = (deployment: ResourceDeployment) => Promise<void>;

/** A CloudFormation-style physical name: stack, logical id and a stable suffix. */
export function physicalName(stackName: string, logicalId: string, max = 255): string {
  const suffix = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase();
  const head = `${stackName}-${logicalId}`.slice(0, max - suffix.length - 1);
  return `${head}-${suffix}`;
}

/** Fails the deploy on a property the local deploy neither reads nor knowingly accepts. */
export function rejectUnknown(properties: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const key of Object.keys(properties)) {
    if (!known.has(key)) throw new DeployError(`${where}.Properties.${key} is not supported by the local deploy`);
  }
}

/** SAM properties that become other resources (rules, permissions), not part of the resource itself. */
export function withoutEvents(properties: Record<string, unknown>): Record<string, unknown> {
  const { Events: _events, Policies: _policies, ...rest } = properties;
  return rest;
}

/** A function's properties with Globals.Function under them, environment variables merged as SAM merges them. */
export function mergeGlobals(
  globals: Record<string, unknown>,
  properties: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...globals, ...properties };
  const env = (x: unknown) =>
    ((x as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
  if (globals.Environment || properties.Environment) {
    merged.Environment = { Variables: { ...env(globals.Environment), ...env(properties.Environment) } };
  }
  return merged;
}
