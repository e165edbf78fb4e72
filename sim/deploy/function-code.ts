import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { version as esbuildVersion, transformSync } from 'esbuild';
import { bundledArtifacts, cachedArtifacts, type FunctionArtifact, samBuildArtifacts } from './artifacts.js';

/*
 * What a deployed function runs and how the simulated Lambda loads it: the artifacts (sam build's or the
 * project's bundles), each rewritten once as CommonJS with V8's compiled code kept on disk, and one fresh
 * module instance per execution environment. Apart from the resource deployer so that making the code
 * ready (the test suite's global setup) imports nothing of the simulated services.
 */

/**
 * The project's bundles are cached under the template's folder (so that packages left External
 * resolve from its node_modules), shared by every process and reused while their inputs are
 * unchanged (bundle-cache.ts).
 */
function localDeployDir(templatePath: string): string {
  return join(dirname(resolve(templatePath)), 'dist', '.local-deploy');
}

/** Where the bundles' CommonJS rewrites and V8 code caches of a template's functions are kept. */
export function moduleBodiesDir(templatePath: string): string {
  return join(localDeployDir(templatePath), 'cjs');
}

const bundleCache = new Map<string, Promise<Map<string, FunctionArtifact>>>();

/**
 * What each function runs, as a deploy would: sam build's artifacts when .aws-sam/build is present
 * (and no bundleDir is asked for), else the project's bundles: built into bundleDir when given, else
 * taken from the bundle cache; once per process and template (each deploy still cold-starts them).
 */
export function artifactsOf(templatePath: string, bundleDir?: string): Promise<Map<string, FunctionArtifact>> {
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
    moduleBodyOf(artifact.file, moduleBodiesDir(templatePath));
  }
}

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
export function moduleBodyOf(file: string, cacheDir: string): ModuleBody {
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
export async function loadModule(file: string, importUrl: string, cacheDir: string): Promise<Record<string, unknown>> {
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
export function enableCompileCache(templatePath: string): void {
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
export function loadBundlesAsNodeDoes(file: string): void {
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
