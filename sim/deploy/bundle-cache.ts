import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { version as esbuildVersion } from 'esbuild';
import { bundleFunctions, type FunctionBundle } from '../../scripts/bundle.js';
import { readCfnTemplate } from './cfn-yaml.js';

/**
 * The project's function bundles, kept on disk between processes. Bundling a function with the AWS
 * SDK in it takes seconds (esbuild reads thousands of the SDK's modules), and every test process
 * that deploys the template would otherwise bundle every function again.
 *
 * A function's bundle is reused only when nothing it was built from changed: its key is the
 * function's Properties and Metadata in the template, the lockfile and the esbuild version, and
 * the names of the files under its source folders (a new file can change what an import resolves
 * to); the entry records the content hash of every file esbuild read into the bundle, all checked
 * before reuse. Each build goes to a folder named by those hashes, written beside it and renamed
 * into place, so a process never reads a half-written bundle or one replaced under it.
 */

type Resource = { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

interface CacheEntry {
  /** The build's folder, relative to the cache folder. */
  dir: string;
  /** The bundle, its outFile relative to dir (artifactRoot is dir, inputs are the keys of inputs). */
  bundle: Omit<FunctionBundle, 'artifactRoot' | 'inputs'>;
  /** Input path relative to the template's folder -> sha256 of its content. */
  inputs: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** File names under dir (node_modules and dot folders left out), relative to root, sorted. */
function fileNames(dir: string, root: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fileNames(path, root, out);
    else out.push(relative(root, path));
  }
  return out.sort();
}

/**
 * Every esbuild function of the template, bundled as scripts/bundle.ts bundles it, from the cache in
 * cacheDir when its inputs are unchanged, else built and cached.
 */
export async function cachedBundles(templatePath: string, cacheDir: string): Promise<FunctionBundle[]> {
  const root = dirname(resolve(templatePath));
  const template = readCfnTemplate(templatePath);
  const functions = Object.entries((template.Resources ?? {}) as Record<string, Resource>).filter(
    ([, r]) => r.Type === 'AWS::Serverless::Function' && r.Metadata?.BuildMethod === 'esbuild',
  );
  const lockfile = join(root, 'package-lock.json');
  const lock = existsSync(lockfile) ? sha256(readFileSync(lockfile)) : '';
  const hashes = new Map<string, string | undefined>();
  const hashOf = (path: string) => {
    if (!hashes.has(path)) hashes.set(path, existsSync(path) ? sha256(readFileSync(path)) : undefined);
    return hashes.get(path);
  };
  const listed = new Map<string, string[]>();
  const filesUnder = (dir: string) => listed.get(dir) ?? listed.set(dir, fileNames(dir, root)).get(dir)!;
  mkdirSync(cacheDir, { recursive: true });
  const bundles = new Map<string, FunctionBundle>();
  const stale = new Map<string, string>();
  for (const [name, resource] of functions) {
    const codeUri = typeof resource.Properties?.CodeUri === 'string' ? resource.Properties.CodeUri : '.';
    // A function imports from its own folder and its siblings (functions/core, functions/commons).
    const sourceRoot = resolve(root, codeUri.split('/')[0] ?? '.');
    const key = sha256(
      JSON.stringify({
        name,
        properties: resource.Properties,
        metadata: resource.Metadata,
        lock,
        esbuildVersion,
        files: filesUnder(sourceRoot),
      }),
    ).slice(0, 20);
    const manifest = manifestOf(cacheDir, name, key);
    const cached = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as CacheEntry) : undefined;
    const fresh =
      cached &&
      existsSync(join(cacheDir, cached.dir, cached.bundle.outFile)) &&
      Object.entries(cached.inputs).every(([path, hash]) => hashOf(resolve(root, path)) === hash);
    if (cached && fresh) {
      const artifactRoot = join(cacheDir, cached.dir);
      bundles.set(name, {
        ...cached.bundle,
        artifactRoot,
        outFile: join(artifactRoot, cached.bundle.outFile),
        inputs: Object.keys(cached.inputs).map((path) => resolve(root, path)),
      });
    } else {
      stale.set(name, key);
    }
  }
  if (stale.size > 0) {
    // Built in one run (scripts/bundle.ts shares the parse of the SDK between functions) beside the final
    // folders, so the source maps' relative paths stay right, then each renamed into place.
    const building = join(cacheDir, `build.${process.pid}.${Date.now()}.tmp`);
    try {
      for (const bundle of await bundleFunctions(templatePath, building, (n) => stale.has(n))) {
        bundles.set(bundle.name, place(bundle, stale.get(bundle.name)!, root, cacheDir));
      }
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  }
  return functions.map(([name]) => {
    const bundle = bundles.get(name);
    if (!bundle) throw new Error(`${templatePath}: ${name} was not bundled`);
    return bundle;
  });
}

/** Where the cache describes a function's bundle for one key (its template entry, lockfile, esbuild, file names). */
const manifestOf = (cacheDir: string, name: string, key: string) => join(cacheDir, `${name}-${key}.json`);

/** A bundle just built, moved to its folder in the cache (named by its inputs' hashes), its manifest written. */
function place(bundle: FunctionBundle, key: string, root: string, cacheDir: string): FunctionBundle {
  const { name } = bundle;
  const inputs = Object.fromEntries(
    bundle.inputs.map((input) => [relative(root, input), sha256(readFileSync(input))] as const),
  );
  const dir = `${name}-${key}-${sha256(JSON.stringify(inputs)).slice(0, 20)}`;
  const artifactRoot = join(cacheDir, dir);
  if (!existsSync(artifactRoot)) {
    const staging = `${artifactRoot}.${process.pid}.${Date.now()}.tmp`;
    mkdirSync(staging);
    renameSync(bundle.artifactRoot, join(staging, name));
    try {
      renameSync(staging, artifactRoot);
    } catch (err) {
      // Another process put the same build in place first: the same inputs, the same bytes.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(artifactRoot)) throw err;
    }
  }
  const outFile = relative(bundle.artifactRoot, bundle.outFile);
  const { artifactRoot: _built, inputs: _inputs, ...described } = bundle;
  const entry: CacheEntry = { dir: join(dir, name), bundle: { ...described, outFile }, inputs };
  const manifest = manifestOf(cacheDir, name, key);
  writeFileSync(`${manifest}.${process.pid}.tmp`, JSON.stringify(entry));
  renameSync(`${manifest}.${process.pid}.tmp`, manifest);
  const functionRoot = join(artifactRoot, name);
  return { ...bundle, artifactRoot: functionRoot, outFile: join(functionRoot, outFile) };
}
