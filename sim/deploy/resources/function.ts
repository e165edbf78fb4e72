import { pathToFileURL } from 'node:url';
import type { ExecutionEnvironments, LambdaHandler, LambdaService } from '../../services/lambda/service.js';
import type { FunctionArtifact } from '../artifacts.js';
import {
  artifactsOf,
  enableCompileCache,
  loadBundlesAsNodeDoes,
  loadModule,
  moduleBodiesDir,
  moduleBodyOf,
} from '../function-code.js';
import { DeployError, resolveValue } from '../intrinsics.js';
import {
  type ColdStart,
  type DeployedStack,
  mergeGlobals,
  physicalName,
  type ResourceDeployment,
  rejectUnknown,
  withoutEvents,
} from '../stack.js';
import { createEventSources } from './event-sources.js';

/** Properties of a function the local deploy reads, or knowingly accepts without simulating. */
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
  // Asynchronous invocations' retries and dead-letter queue: accepted, not simulated (an Event invocation
  // that fails is recorded and not retried).
  'DeadLetterQueue',
  'EventInvokeConfig',
]);

/** AWS::Serverless::Function: its esbuild bundle registered with the simulated Lambda, and its event sources. */
export async function deployFunction({
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
  record,
}: ResourceDeployment): Promise<void> {
  const lambda = sim.service<LambdaService>('lambda');
  rejectUnknown(resource.Properties ?? {}, FUNCTION_PROPERTIES, where);
  const artifacts = await artifactsOf(templatePath, options.bundleDir);
  enableCompileCache(templatePath);
  const artifact = artifacts.get(logicalId);
  if (!artifact) throw new DeployError(`${where}: Metadata.BuildMethod must be esbuild with EntryPoints`);
  if (artifact.file.endsWith('.mjs')) loadBundlesAsNodeDoes(artifact.file);
  // Rewritten at deploy, once per process: a cold start then only evaluates it, as Lambda's Init does.
  const bodies = moduleBodiesDir(templatePath);
  moduleBodyOf(artifact.file, bodies);
  stack.artifacts = artifact.origin;
  const merged = mergeGlobals(globals, resource.Properties ?? {});
  const p = resolveValue(withoutEvents(merged), scope, `${where}.Properties`) as Record<string, unknown>;
  const functionName = (p.FunctionName as string | undefined) ?? physicalName(scope.stackName, logicalId, 64);
  const environment = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const arn = lambda.register({
    name: functionName,
    handler: artifactEnvironments(stack, artifact, bodies, options.coldStartMs?.[logicalId] ?? 0, () => {
      stack.environments[logicalId] = (stack.environments[logicalId] ?? 0) + 1;
      const coldStart: ColdStart = { logicalId, at: performance.now() };
      stack.coldStarts.push(coldStart);
      return coldStart;
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
 * new deployment starts from cold. A cold start lasts at least initMs of wall-clock time: the
 * initialisation Lambda would spend on the bundle. An environment's module lives as long as the environment.
 */
function artifactEnvironments(
  stack: DeployedStack,
  artifact: FunctionArtifact,
  bodies: string,
  initMs: number,
  onColdStart: () => ColdStart,
): ExecutionEnvironments {
  const deployment = ++deployments;
  const idle: LambdaHandler[] = [];
  idlePools.set(stack, [...(idlePools.get(stack) ?? []), idle]);
  let environments = 0;
  const coldStart = async (): Promise<LambdaHandler> => {
    const record = onColdStart();
    const started = performance.now();
    const url = `${pathToFileURL(artifact.file).href}?function=${artifact.logicalId}&deployment=${deployment}&environment=${++environments}`;
    const mod = await loadModule(artifact.file, url, bodies);
    const handler = artifact.exportPath.reduce<unknown>(
      (value, key) => (value as Record<string, unknown> | undefined)?.[key],
      mod,
    );
    if (typeof handler !== 'function') {
      throw new DeployError(
        `${artifact.file}: Handler ${artifact.handler} is undefined or not exported (Runtime.HandlerNotFound)`,
      );
    }
    record.importMs = performance.now() - started;
    const left = initMs - record.importMs;
    if (left > 0) await new Promise((done) => setTimeout(done, left));
    record.initMs = performance.now() - started;
    return handler as LambdaHandler;
  };
  return {
    take: async () => idle.pop() ?? (await coldStart()),
    give: (handler) => {
      idle.push(handler);
    },
  };
}
