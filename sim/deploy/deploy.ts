import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SIM_ACCOUNT_ID, SIM_DEFAULT_REGION } from '../core/service.js';
import type { SimServer } from '../server.js';
import type { CloudFormationService } from '../services/cloudformation.js';
import { readCfnTemplate } from './cfn-yaml.js';
import { DeployError, evaluateCondition, type ResolveScope, referencesIn, resolveValue } from './intrinsics.js';
import { DEPLOYERS } from './resources/index.js';
import { type DeployedStack, type LocalDeployOptions, mergeGlobals, type Resource } from './stack.js';

export { DeployError } from './intrinsics.js';
export { discardIdleEnvironments } from './resources/function.js';
export type { ColdStart, DeployedResource, DeployedStack, LocalDeployOptions } from './stack.js';

const credentials = { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' };

/**
 * The local equivalent of `sam deploy`: creates in the simulated account what template.yaml
 * declares, resolving intrinsics against the resources created so far. Anything it does not
 * understand fails the deploy with a message naming the resource and property. Each resource type
 * has its deployer in resources/.
 */
export async function deployTemplate(options: LocalDeployOptions): Promise<DeployedStack> {
  const { sim } = options;
  const templatePath = resolve(options.templatePath);
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

  for (const logicalId of deployOrder(resources, globals, templatePath)) {
    const resource = resources[logicalId]!;
    const where = `${templatePath}: Resources.${logicalId}`;
    if (resource.Condition && !(resource.Condition in scope.conditions)) {
      throw new DeployError(`${where}.Condition: condition ${resource.Condition} is not declared`);
    }
    if (resource.Condition && !scope.conditions[resource.Condition]) continue;
    const type = resource.Type ?? '';
    const deploy = DEPLOYERS[type];
    if (!deploy)
      throw new DeployError(`${where}: resource type ${type || '(none)'} is not supported by the local deploy`);
    await deploy({
      logicalId,
      resource,
      where,
      scope,
      stack,
      clients,
      sim,
      options,
      templatePath,
      functionGlobals: globals,
      properties: () =>
        resolveValue(resource.Properties ?? {}, scope, `${where}.Properties`) as Record<string, unknown>,
      record: (physicalId, attributes, simulated = true) => {
        scope.resources[logicalId] = { ref: physicalId, attributes };
        stack.resources.push({ logicalId, type, physicalId, simulated });
        stack.physical[logicalId] = attributes.Arn ?? physicalId;
      },
    });
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
