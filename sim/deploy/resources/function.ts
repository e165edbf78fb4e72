import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { version as esbuildVersion, transformSync } from 'esbuild';
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
function localDeployDir(templatePath: string): string {
  return join(dirname(resolve(templatePath)), 'dist', '.local-deploy');
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
      : cachedArtifacts(templatePath, join(localDeployDir(templatePath), 'cache'));
    bundleCache.set(key, bundles);
    bundles.catch(() => bundleCache.delete(key));
  }
  return bundles;
}

/**
 * Makes ready, on disk, what a deploy of the template's functions would otherwise make in each process
 * on first use: the bundles (when taken from the bundle cache) and their CommonJS rewrites. Processes
 * started at once (test workers) then share one build instead of each building its own.
 */
export async function prepareFunctions(templatePath: string): Promise<void> {
  for (const artifact of (await artifactsOf(templatePath)).values()) {
    moduleBodyOf(artifact.file, join(localDeployDir(templatePath), 'cjs'));
  }
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
  const bodies = join(localDeployDir(templatePath), 'cjs');
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

/**
 * A bundle as a function that evaluates it, one more module instance per call: its CommonJS source and
 * V8's compiled code for it (null until this process has one on disk or has made it).
 */
type ModuleBody =
  | { mtimeMs: number; source: string; codeCache: string; cachedData: Buffer | null }
  | { mtimeMs: number; esm: true };
const moduleBodies = new Map<string, ModuleBody>();
const PARAMETERS = '(exports, require, module, __filename, __dirname)';

/**
 * The bundle rewritten once as a CommonJS body, so that each execution environment evaluates it afresh:
 * an instance the garbage collector reclaims with its environment. Importing the bundle with a distinct
 * query string per environment also gives each a fresh instance, but Node's ESM loader never evicts a
 * module, so every environment of every deployment (its code, SDK clients and module state) would stay
 * in the heap for the life of the process: a drill of 40 scenarios ran out of heap. A bundle esbuild
 * cannot rewrite (top-level await) is still imported as ES module.
 *
 * The rewrite (about 400 ms of CPU for a 1.6 MB bundle) and V8's compiled code of it (about 150 ms more
 * at a process's first cold start) are kept on disk in cacheDir by the bundle's content, for the next
 * process: every test file and drill is one. They cost the sim's own CPU only; what a cold start is
 * charged as Lambda's initialisation is the deploy's coldStartMs.
 */
function moduleBodyOf(file: string, cacheDir: string): ModuleBody {
  const mtimeMs = statSync(file).mtimeMs;
  const cached = moduleBodies.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached;
  const text = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(`${esbuildVersion}\0${file}\0${text}`).digest('hex').slice(0, 40);
  const body = join(cacheDir, `${key}.cjs`);
  // V8 refuses compiled code from another V8 version or other flags (cachedDataRejected); one file per
  // Node version and architecture keeps two Node versions sharing the folder from refusing each other's.
  const codeCache = join(cacheDir, `${key}.${process.version}-${process.arch}.v8`);
  const source = existsSync(body) ? readFileSync(body, 'utf8') : rewrite(file, text, body);
  const entry: ModuleBody =
    source === undefined
      ? { mtimeMs, esm: true }
      : { mtimeMs, source, codeCache, cachedData: readIfPresent(codeCache) };
  moduleBodies.set(file, entry);
  return entry;
}

/** The bundle as a function expression of CommonJS code, written to body; undefined if esbuild cannot. */
function rewrite(file: string, text: string, body: string): string | undefined {
  let code: string;
  try {
    code = transformSync(text, {
      format: 'cjs',
      platform: 'node',
      target: 'node22',
      logLevel: 'silent',
      define: {
        'import.meta.url': JSON.stringify(pathToFileURL(file).href),
        'import.meta.filename': JSON.stringify(file),
        'import.meta.dirname': JSON.stringify(dirname(file)),
      },
    }).code;
  } catch {
    return undefined;
  }
  // An ES module's code is strict mode code; the rewritten body keeps it so. The wrapper stays on the
  // bundle's first line, so stack traces keep the bundle's line numbers.
  const source = `(function ${PARAMETERS} {'use strict';${code}\n})`;
  writeAtomically(body, source);
  return source;
}

function readIfPresent(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

/** Written whole or not at all: processes sharing the cache never read half a file. */
function writeAtomically(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(partial, data);
  renameSync(partial, file);
}

/** One fresh instance of the bundle's module, as an execution environment's Init phase loads it. */
async function loadModule(file: string, importUrl: string, cacheDir: string): Promise<Record<string, unknown>> {
  const entry = moduleBodyOf(file, cacheDir);
  if ('esm' in entry) return (await import(importUrl)) as Record<string, unknown>;
  // Within a process V8 compiles the same source once; the code cache saves that first compile.
  const script = new vm.Script(entry.source, {
    filename: file,
    cachedData: entry.cachedData ?? undefined,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const evaluate = script.runInThisContext() as (...args: unknown[]) => void;
  const instance = { exports: {} as Record<string, unknown> };
  try {
    evaluate.call(instance.exports, instance.exports, module.createRequire(file), instance, file, dirname(file));
  } finally {
    // Made after the first Init of the process, so the code cache holds every function Init compiled.
    if (!entry.cachedData || script.cachedDataRejected) {
      entry.cachedData = script.createCachedData();
      writeAtomically(entry.codeCache, entry.cachedData);
    }
  }
  return instance.exports;
}

/**
 * Node's module compile cache under the template's dist folder, for a bundle still imported as ES
 * module (see moduleBodyOf).
 */
function enableCompileCache(templatePath: string): void {
  if (typeof module.enableCompileCache !== 'function' || module.getCompileCacheDir?.()) return;
  module.enableCompileCache(join(localDeployDir(templatePath), 'compile-cache'));
}

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
