import { statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { build, type Format, type Loader, type Metafile } from 'esbuild';
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
 * package.json: esbuild run on the function's EntryPoints (relative to its CodeUri), everything in one
 * artifact folder per function (no outbase: esbuild's default, the entry points' common folder), with the
 * options of BuildProperties; the Handler is then resolved in that folder as Lambda does.
 *
 * Functions with the same BuildProperties (their EntryPoints aside) are built in one esbuild run, each
 * entry point written to its function's folder: esbuild then reads and parses the modules the functions
 * share (the AWS SDK) once, about a third of the time of one run per function. Without code splitting each
 * output is the bytes one run per function writes (`test/template/built-template.test.ts` compares them with
 * `sam build`'s). A function's inputs are what its entry points reach in the run's import graph: the files
 * its own run would have read.
 */
export async function bundleFunctions(
  templatePath: string,
  outDir: string,
  only?: (name: string) => boolean,
  variant: BundleVariant = {},
): Promise<FunctionBundle[]> {
  const root = dirname(resolve(templatePath));
  const template = readCfnTemplate(templatePath);
  const functions = Object.entries((template.Resources ?? {}) as Record<string, Resource>)
    .filter(
      ([name, r]) =>
        r.Type === 'AWS::Serverless::Function' && r.Metadata?.BuildMethod === 'esbuild' && (!only || only(name)),
    )
    .map(([name, resource]) => {
      const props = (resource.Metadata?.BuildProperties ?? {}) as SamEsbuildProperties;
      if (!props.EntryPoints?.[0])
        throw new Error(`${templatePath}: ${name} has no Metadata.BuildProperties.EntryPoints`);
      const codeUri = typeof resource.Properties?.CodeUri === 'string' ? resource.Properties.CodeUri : '.';
      const codeDir = resolve(root, codeUri);
      const entries = props.EntryPoints.map((entry) => resolve(codeDir, entry));
      const { EntryPoints: _entries, ...options } = props;
      return { name, handler: String(resource.Properties?.Handler), entries, options };
    });
  const groups = new Map<string, typeof functions>();
  for (const fn of functions) {
    const key = JSON.stringify(fn.options);
    groups.set(key, [...(groups.get(key) ?? []), fn]);
  }
  const built = new Map<string, FunctionBundle>();
  for (const group of groups.values()) {
    const props = group[0]!.options;
    const { metafile } = await build({
      absWorkingDir: root,
      entryPoints: group.flatMap(({ name, entries }) => {
        const outbase = commonFolder(entries);
        return entries.map((entry) => ({
          in: entry,
          out: join(name, relative(outbase, entry.slice(0, entry.length - extname(entry).length))),
        }));
      }),
      outdir: outDir,
      bundle: true,
      platform: 'node',
      format: props.Format ?? 'cjs',
      target: props.Target ?? 'es2020',
      minify: props.Minify ?? true,
      sourcemap: props.Sourcemap ?? false,
      keepNames: props.KeepNames ?? false,
      external: variant.external ?? props.External ?? [],
      mainFields: props.MainFields?.split(',') ?? ['main', 'module'],
      outExtension: pairs(props.OutExtension),
      banner: pairs(props.Banner),
      loader: pairs(props.Loader) as Record<string, Loader>,
      logLevel: 'error',
      metafile: true,
    });
    for (const { name, handler, entries } of group) {
      const functionDir = join(outDir, name);
      const { file, exportPath } = resolveHandlerFile(
        functionDir,
        handler,
        `${templatePath}: Resources.${name}.Properties.Handler`,
      );
      built.set(name, {
        name,
        entryPoint: relative(root, entries[0]!),
        handler,
        artifactRoot: functionDir,
        outFile: file,
        exportPath,
        bytes: statSync(file).size,
        inputs: reachedFrom(entries, metafile, root),
      });
    }
  }
  return functions.map(({ name }) => built.get(name)!);
}

/** The deepest folder holding every file (esbuild's default outbase); absolute paths. */
export function commonFolder(files: string[]): string {
  let folder = dirname(files[0]!);
  // The file system's root already ends with the separator: without this, files with only the root in
  // common never matched and the loop never ended.
  const within = (file: string) => file.startsWith(folder.endsWith(sep) ? folder : folder + sep);
  while (!files.every(within)) folder = dirname(folder);
  return folder;
}

/** The inputs of a run's metafile (paths relative to root) that the entry points import, directly or not; absolute. */
function reachedFrom(entries: string[], metafile: Metafile, root: string): string[] {
  const key = (path: string) => relative(root, path).split(sep).join('/');
  const reached = new Set(entries.map(key));
  for (const input of reached) {
    for (const { path, external } of metafile.inputs[input]?.imports ?? []) {
      if (!external && path in metafile.inputs) reached.add(path);
    }
  }
  return [...reached].map((input) => resolve(root, input));
}

export function formatBundleTable(bundles: FunctionBundle[], cwd = process.cwd()): string {
  const rows = bundles.map((b) => [b.name, relative(cwd, b.outFile), `${(b.bytes / 1024).toFixed(1)} KB`]);
  const header = ['function', 'bundle', 'size'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
