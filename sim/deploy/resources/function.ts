import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { transformSync } from 'esbuild';
import type { ExecutionEnvironments, LambdaHandler, LambdaService } from '../../services/lambda/service.js';
import { bundledArtifacts, cachedArtifacts, type FunctionArtifact, samBuildArtifacts } from '../artifacts.js';
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

/**
 * The project's bundles are cached under the template's folder (so that packages left External
 * resolve from its node_modules), shared by every process and reused while their inputs are
 * unchanged (bundle-cache.ts).
 */
function cacheDirFor(templatePath: string): string {
  return join(dirname(resolve(templatePath)), 'dist', '.local-deploy', 'cache');
}

const bundleCache = new Map<string, Promise<Map<string, FunctionArtifact>>>();

/**
 * What each function runs, as a deploy would: sam build's artifacts when .aws-sam/build is present
 * (and no bundleDir is asked for), else the project's bundles: built into bundleDir when given, else
 * taken from the bundle cache; once per process and template (each deploy still cold-starts them).
 */
function artifactsOf(templatePath: string, bundleDir?: string): Promise<Map<string, FunctionArtifact>> {
  if (!bundleDir) {
    const built = samBuildArtifacts(templatePath);
    if (built) return Promise.resolve(built);
  }
  const key = `${resolve(templatePath)}\0${bundleDir ?? ''}`;
  let bundles = bundleCache.get(key);
  if (!bundles) {
    bundles = bundleDir
      ? bundledArtifacts(templatePath, bundleDir)
      : cachedArtifacts(templatePath, cacheDirFor(templatePath));
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
  enableCompileCache(templatePath);
  const artifact = artifacts.get(logicalId);
  if (!artifact) throw new DeployError(`${where}: Metadata.BuildMethod must be esbuild with EntryPoints`);
  if (artifact.file.endsWith('.mjs')) loadBundlesAsNodeDoes(artifact.file);
  // Rewritten at deploy, once per process: a cold start then only evaluates it, as Lambda's Init does.
  moduleBodyOf(artifact.file);
  stack.artifacts = artifact.origin;
  const merged = mergeGlobals(globals, resource.Properties ?? {});
  const p = resolveValue(withoutEvents(merged), scope, `${where}.Properties`) as Record<string, unknown>;
  const functionName = (p.FunctionName as string | undefined) ?? physicalName(scope.stackName, logicalId, 64);
  const environment = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const arn = lambda.register({
    name: functionName,
    handler: artifactEnvironments(stack, artifact, options.coldStartMs?.[logicalId] ?? 0, () => {
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
  const instance = { exports: {} as Record<string, unknown> };
  evaluate.call(instance.exports, instance.exports, module.createRequire(file), instance, file, dirname(file));
  return instance.exports;
}

/**
 * V8's compiled code of the bundles kept on disk (Node's module compile cache, checked against each
 * file's content), under the template's dist folder: a cold start compiles its bundle, about 1 MB
 * with the AWS SDK, and the same bundle at the same URL (deployment and environment numbers recur
 * from one process to the next) then loads from the cache. It costs the sim's own CPU only: what a
 * cold start is charged as Lambda's initialisation is the deploy's coldStartMs.
 */
/** The bundles' files (file: URLs without query) that execution environments import. */
const bundleFiles = new Set<string>();
let bundleLoaderRegistered = false;

/**
 * Loads the bundles as Node loads them in Lambda, past any module loader of the process running the
 * sim: under tsx (the drill, the benchmarks, `npm run sim`), tsx's load hook would otherwise rescan
 * and rewrite the dynamic imports of every environment's 1 MB bundle, about 300 ms of CPU per cold
 * start that Lambda never spends. Bundles are plain ES modules (.mjs) and need no transform.
 */
function loadBundlesAsNodeDoes(file: string): void {
  bundleFiles.add(pathToFileURL(file).href);
  if (bundleLoaderRegistered || typeof module.registerHooks !== 'function') return;
  bundleLoaderRegistered = true;
  module.registerHooks({
    load(url, context, nextLoad) {
      const query = url.indexOf('?');
      if (query > 0 && bundleFiles.has(url.slice(0, query))) {
        return { format: 'module', source: readFileSync(fileURLToPath(url)), shortCircuit: true };
      }
      return nextLoad(url, context);
    },
  });
}

function enableCompileCache(templatePath: string): void {
  if (typeof module.enableCompileCache !== 'function' || module.getCompileCacheDir?.()) return;
  module.enableCompileCache(join(dirname(resolve(templatePath)), 'dist', '.local-deploy', 'compile-cache'));
}
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
