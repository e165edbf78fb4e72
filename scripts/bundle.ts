import { statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Format, type Loader } from 'esbuild';
import { readCfnTemplate } from '../sim/deploy/cfn-yaml.js';
import { resolveHandlerFile } from '../sim/deploy/handler-file.js';

/** The esbuild BuildProperties SAM understands, as template.yaml writes them. */
interface SamEsbuildProperties {
  EntryPoints?: string[];
  External?: string[];
  Format?: Format;
  Loader?: string[];
  MainFields?: string;
  Minify?: boolean;
  OutExtension?: string[];
  Sourcemap?: boolean;
  Target?: string;
  Banner?: string[];
  KeepNames?: boolean;
}

export interface FunctionBundle {
  /** Logical id of the function in template.yaml. */
  name: string;
  /** The first entry point, relative to the project (the template's folder). */
  entryPoint: string;
  handler: string;
  /** The function's artifact root, as Lambda unpacks it: the Handler is resolved against it. */
  artifactRoot: string;
  /** The bundled file the Handler names, the export path in it, and the file's size in bytes. */
  outFile: string;
  exportPath: string[];
  bytes: number;
  /** Every file esbuild read into the bundle, absolute. */
  inputs: string[];
}

/** A departure from the template's BuildProperties, for comparisons (the benchmarks); none by default. */
export interface BundleVariant {
  /** In place of BuildProperties.External, e.g. ['@aws-sdk/*'] to leave the SDK to the runtime. */
  external?: string[];
}

type Resource = { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

function pairs(list: string[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (list ?? []).map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]),
  );
}

/**
 * Bundles every esbuild function of a SAM template the way `sam build` does for a CodeUri without a
 * package.json: esbuild run in the CodeUri folder on its EntryPoints (relative to it), everything in
 * one artifact folder per function (no outbase: esbuild's default, the entry points' common folder),
 * with the options of BuildProperties; the Handler is then resolved in that folder as Lambda does.
 */
export async function bundleFunctions(
  templatePath: string,
  outDir: string,
  only?: (name: string) => boolean,
  variant: BundleVariant = {},
): Promise<FunctionBundle[]> {
  const root = dirname(resolve(templatePath));
  const template = readCfnTemplate(templatePath);
  const resources = Object.entries((template.Resources ?? {}) as Record<string, Resource>).filter(
    ([name, r]) =>
      r.Type === 'AWS::Serverless::Function' && r.Metadata?.BuildMethod === 'esbuild' && (!only || only(name)),
  );
  const bundles: FunctionBundle[] = [];
  for (const [name, resource] of resources) {
    const props = (resource.Metadata?.BuildProperties ?? {}) as SamEsbuildProperties;
    const handler = String(resource.Properties?.Handler);
    const entryPoint = props.EntryPoints?.[0];
    if (!entryPoint) throw new Error(`${templatePath}: ${name} has no Metadata.BuildProperties.EntryPoints`);
    const codeUri = typeof resource.Properties?.CodeUri === 'string' ? resource.Properties.CodeUri : '.';
    const codeDir = resolve(root, codeUri);
    const outExtension = pairs(props.OutExtension);
    const functionDir = join(outDir, name);
    const { metafile } = await build({
      absWorkingDir: codeDir,
      entryPoints: props.EntryPoints ?? [],
      outdir: functionDir,
      bundle: true,
      platform: 'node',
      format: props.Format ?? 'cjs',
      target: props.Target ?? 'es2020',
      minify: props.Minify ?? true,
      sourcemap: props.Sourcemap ?? false,
      keepNames: props.KeepNames ?? false,
      external: variant.external ?? props.External ?? [],
      mainFields: props.MainFields?.split(',') ?? ['main', 'module'],
      outExtension,
      banner: pairs(props.Banner),
      loader: pairs(props.Loader) as Record<string, Loader>,
      logLevel: 'error',
      metafile: true,
    });
    const { file, exportPath } = resolveHandlerFile(
      functionDir,
      handler,
      `${templatePath}: Resources.${name}.Properties.Handler`,
    );
    bundles.push({
      name,
      entryPoint: relative(root, resolve(codeDir, entryPoint)),
      handler,
      artifactRoot: functionDir,
      outFile: file,
      exportPath,
      bytes: statSync(file).size,
      inputs: Object.keys(metafile.inputs).map((input) => resolve(codeDir, input)),
    });
  }
  return bundles;
}

export function formatBundleTable(bundles: FunctionBundle[], cwd = process.cwd()): string {
  const rows = bundles.map((b) => [b.name, relative(cwd, b.outFile), `${(b.bytes / 1024).toFixed(1)} KB`]);
  const header = ['function', 'bundle', 'size'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
