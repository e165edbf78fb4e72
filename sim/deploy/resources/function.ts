import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { transformSync } from 'esbuild';
import type { ExecutionEnvironments, LambdaHandler, LambdaService } from '../../services/lambda/service.js';
import { bundledArtifacts, type FunctionArtifact, samBuildArtifacts } from '../artifacts.js';
import { DeployError, resolveValue } from '../intrinsics.js';
import { mergeGlobals, physicalName, type ResourceDeployment, rejectUnknown, withoutEvents } from '../stack.js';
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
  const artifact = artifacts.get(logicalId);
  if (!artifact) throw new DeployError(`${where}: Metadata.BuildMethod must be esbuild with EntryPoints`);
  stack.artifacts = artifact.origin;
  const merged = mergeGlobals(globals, resource.Properties ?? {});
  const p = resolveValue(withoutEvents(merged), scope, `${where}.Properties`) as Record<string, unknown>;
  const functionName = (p.FunctionName as string | undefined) ?? physicalName(scope.stackName, logicalId, 64);
  const environment = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const arn = lambda.register({
    name: functionName,
    handler: artifactEnvironments(artifact),
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

/** A bundle as the body of a function that evaluates it: one more module instance per call. */
type ModuleBody = { mtimeMs: number; body: string } | { mtimeMs: number; esm: true };
const moduleBodies = new Map<string, ModuleBody>();

/**
 * The bundle rewritten once as a CommonJS body, so that each execution environment evaluates it afresh
 * with vm.compileFunction: an instance the garbage collector reclaims with its environment. Importing
 * the bundle with a distinct query string per environment also gives each a fresh instance, but Node's
 * ESM loader never evicts a module, so every environment of every deployment (its code, SDK clients
 * and module state) would stay in the heap for the life of the process: a drill of 40 scenarios ran
 * out of heap. A bundle esbuild cannot rewrite (top-level await) is still imported as ES module.
 */
function moduleBodyOf(file: string): ModuleBody {
  const mtimeMs = statSync(file).mtimeMs;
  const cached = moduleBodies.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached;
  const url = pathToFileURL(file).href;
  let entry: ModuleBody;
  try {
    const { code } = transformSync(readFileSync(file, 'utf8'), {
      format: 'cjs',
      platform: 'node',
      target: 'node22',
      logLevel: 'silent',
      define: {
        'import.meta.url': JSON.stringify(url),
        'import.meta.filename': JSON.stringify(file),
        'import.meta.dirname': JSON.stringify(dirname(file)),
      },
    });
    // An ES module's code is strict mode code; the rewritten body keeps it so.
    entry = { mtimeMs, body: `'use strict';${code}` };
  } catch {
    entry = { mtimeMs, esm: true };
  }
  moduleBodies.set(file, entry);
  return entry;
}

/** One fresh instance of the bundle's module, as an execution environment's Init phase loads it. */
async function loadModule(file: string, importUrl: string): Promise<Record<string, unknown>> {
  const entry = moduleBodyOf(file);
  if ('esm' in entry) return (await import(importUrl)) as Record<string, unknown>;
  const evaluate = vm.compileFunction(entry.body, ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: file,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as Record<string, unknown> };
  evaluate.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/**
 * A function's execution environments, as Lambda runs them: an invocation takes an idle environment
 * or starts a new one (a cold start: a fresh module instance of the bundle, reading its configuration
 * at import), so concurrent invocations never share SDK clients, retry quotas or module state, and a
 * new deployment starts from cold. An environment's module lives as long as the environment.
 */
function artifactEnvironments(artifact: FunctionArtifact): ExecutionEnvironments {
  const deployment = ++deployments;
  const idle: LambdaHandler[] = [];
  let environments = 0;
  const coldStart = async (): Promise<LambdaHandler> => {
    const url = `${pathToFileURL(artifact.file).href}?function=${artifact.logicalId}&deployment=${deployment}&environment=${++environments}`;
    const mod = await loadModule(artifact.file, url);
    const handler = artifact.exportPath.reduce<unknown>(
      (value, key) => (value as Record<string, unknown> | undefined)?.[key],
      mod,
    );
    if (typeof handler !== 'function') {
      throw new DeployError(
        `${artifact.file}: Handler ${artifact.handler} is undefined or not exported (Runtime.HandlerNotFound)`,
      );
    }
    return handler as LambdaHandler;
  };
  return {
    take: async () => idle.pop() ?? (await coldStart()),
    give: (handler) => {
      idle.push(handler);
    },
  };
}
