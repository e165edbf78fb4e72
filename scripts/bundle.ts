import { statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Format, type Loader } from 'esbuild';
import { readCfnTemplate } from '../sim/deploy/cfn-yaml.js';

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
  entryPoint: string;
  handler: string;
  /** The bundled file the handler lives in, and its size in bytes. */
  outFile: string;
  bytes: number;
}

type Resource = { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

function pairs(list: string[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (list ?? []).map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]),
  );
}

/**
 * Bundles every esbuild function of a SAM template the way `sam build` does: one bundle per
 * function, from its BuildProperties, paths relative to the template's folder.
 */
export async function bundleFunctions(
  templatePath: string,
  outDir: string,
  only?: (name: string) => boolean,
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
    const outExtension = pairs(props.OutExtension);
    const functionDir = join(outDir, name);
    await build({
      entryPoints: (props.EntryPoints ?? []).map((e) => resolve(root, e)),
      outbase: root,
      outdir: functionDir,
      bundle: true,
      platform: 'node',
      format: props.Format ?? 'cjs',
      target: props.Target ?? 'es2020',
      minify: props.Minify ?? true,
      sourcemap: props.Sourcemap ?? false,
      keepNames: props.KeepNames ?? false,
      external: props.External ?? [],
      mainFields: props.MainFields?.split(',') ?? ['main', 'module'],
      outExtension,
      banner: pairs(props.Banner),
      loader: pairs(props.Loader) as Record<string, Loader>,
      logLevel: 'error',
    });
    const outFile = join(functionDir, entryPoint.replace(/\.[cm]?[jt]s$/, outExtension['.js'] ?? '.js'));
    bundles.push({ name, entryPoint, handler, outFile, bytes: statSync(outFile).size });
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
