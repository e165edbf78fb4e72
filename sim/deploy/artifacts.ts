import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bundleFunctions, type FunctionBundle } from '../../scripts/bundle.js';
import { cachedBundles } from './bundle-cache.js';
import { readCfnTemplate } from './cfn-yaml.js';
import { resolveHandlerFile } from './handler-file.js';
import { DeployError } from './intrinsics.js';

/** What a function runs: its Handler resolved in its artifact root, as Lambda would. */
export interface FunctionArtifact {
  logicalId: string;
  artifactRoot: string;
  handler: string;
  file: string;
  exportPath: string[];
  /** The source entry point, relative to the project, to name a failing handler's file. */
  entryPoint: string;
  origin: 'sam build' | 'bundler';
}

type Resource = { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

const functionsOf = (template: Record<string, unknown>) =>
  Object.entries((template.Resources ?? {}) as Record<string, Resource>).filter(
    ([, r]) => r.Type === 'AWS::Serverless::Function',
  );

/** The source entry point of a function, relative to the template's folder. */
function entryPointOf(resource: Resource): string {
  const codeUri = typeof resource.Properties?.CodeUri === 'string' ? resource.Properties.CodeUri : '.';
  const entry = (resource.Metadata?.BuildProperties as { EntryPoints?: string[] } | undefined)?.EntryPoints?.[0];
  return join(codeUri, entry ?? String(resource.Properties?.Handler ?? ''));
}

/** The newest file under `dir` (node_modules and dot folders left out), with its time. */
function newestFile(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestFile(path) : { path, mtimeMs: statSync(path).mtimeMs };
    if (candidate && (!newest || candidate.mtimeMs > newest.mtimeMs)) newest = candidate;
  }
  return newest;
}

/**
 * `sam build`'s artifacts, when `.aws-sam/build/template.yaml` sits beside the template: each
 * function's Handler from the built template, resolved in the built CodeUri. Artifacts older than
 * the template, the lockfile or any file in the functions' source folders are refused, naming the
 * newer file: running them would run code that no longer exists.
 */
export function samBuildArtifacts(templatePath: string): Map<string, FunctionArtifact> | undefined {
  const root = dirname(resolve(templatePath));
  const buildDir = join(root, '.aws-sam', 'build');
  const builtTemplate = join(buildDir, 'template.yaml');
  if (!existsSync(builtTemplate)) return undefined;
  const source = readCfnTemplate(templatePath);
  const built = readCfnTemplate(builtTemplate);
  const builtAt = statSync(builtTemplate).mtimeMs;
  const sourceFolders = new Set(
    functionsOf(source).map(([, r]) => {
      const codeUri = typeof r.Properties?.CodeUri === 'string' ? r.Properties.CodeUri : '.';
      return resolve(root, codeUri.split('/')[0] ?? '.');
    }),
  );
  const inputs = [resolve(templatePath), join(root, 'package-lock.json')].filter((p) => existsSync(p));
  const newer = [
    ...inputs.map((path) => ({ path, mtimeMs: statSync(path).mtimeMs })),
    ...[...sourceFolders].flatMap((dir) => newestFile(dir) ?? []),
  ].find((f) => f.mtimeMs > builtAt);
  if (newer) {
    throw new DeployError(
      `${relative(root, builtTemplate)} is older than ${relative(root, newer.path)}: run sam build again, or remove .aws-sam/build to deploy the project's own bundles`,
    );
  }
  const builtResources = (built.Resources ?? {}) as Record<string, Resource>;
  const artifacts = new Map<string, FunctionArtifact>();
  for (const [logicalId, resource] of functionsOf(source)) {
    const where = `${builtTemplate}: Resources.${logicalId}`;
    const properties = builtResources[logicalId]?.Properties;
    if (typeof properties?.CodeUri !== 'string' || typeof properties.Handler !== 'string') {
      throw new DeployError(`${where} has no built CodeUri and Handler: run sam build again`);
    }
    const artifactRoot = resolve(buildDir, properties.CodeUri);
    const { file, exportPath } = resolveHandlerFile(artifactRoot, properties.Handler, `${where}.Properties`);
    artifacts.set(logicalId, {
      logicalId,
      artifactRoot,
      handler: properties.Handler,
      file,
      exportPath,
      entryPoint: entryPointOf(resource),
      origin: 'sam build',
    });
  }
  return artifacts;
}

/** The project's own bundles (scripts/bundle.ts), built into `outDir` the way sam build lays them out. */
export async function bundledArtifacts(templatePath: string, outDir: string): Promise<Map<string, FunctionArtifact>> {
  return artifactsOf(await bundleFunctions(templatePath, outDir));
}

/** The project's own bundles, reused from cacheDir while nothing they were built from changed (bundle-cache.ts). */
export async function cachedArtifacts(templatePath: string, cacheDir: string): Promise<Map<string, FunctionArtifact>> {
  return artifactsOf(await cachedBundles(templatePath, cacheDir));
}

function artifactsOf(bundles: FunctionBundle[]): Map<string, FunctionArtifact> {
  return new Map(
    bundles.map((b) => [
      b.name,
      {
        logicalId: b.name,
        artifactRoot: b.artifactRoot,
        handler: b.handler,
        file: b.outFile,
        exportPath: b.exportPath,
        entryPoint: b.entryPoint,
        origin: 'bundler' as const,
      },
    ]),
  );
}
