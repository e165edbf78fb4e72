import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFunctions, type FunctionBundle } from '../scripts/bundle.js';
import { readCfnTemplate } from '../sim/deploy/cfn-yaml.js';
import { runtimeVariables } from '../sim/services/lambda/context.js';
import { isMain, median, root, spread, table } from './routes-world.js';

/**
 * Every function of template.yaml bundled as `sam build` would (scripts/bundle.ts), then for each:
 * the bundle's size (target <= 300 KB) and its cold initialisation, the time a fresh Node 22
 * process (node_modules/.bin/node) takes to import() the bundle with the function's environment
 * from the template (Globals plus its own variables, parameters at their defaults, resources at
 * plausible physical ids, Lambda's runtime variables), median of 5 processes (target <= 150 ms).
 * The SDK is External, so the import also loads @aws-sdk/* from node_modules, as the runtime's
 * copy would be loaded in Lambda. Measured with the template's NODE_OPTIONS (--enable-source-maps)
 * and without it.
 */

const PROCESSES = 5;
const TARGET_KB = 300;
const TARGET_MS = 150;
const templatePath = resolve(root, 'template.yaml');
const NODE = resolve(root, 'node_modules', '.bin', 'node');
const BUNDLE_DIR = resolve(root, 'dist', '.bench-bundles');

/** Resolved values for what a function's variables refer to, in place of a deployed stack. */
const RESOURCE_IDS: Record<string, string> = {
  StateTable: 'cgw-autopilot-StateTable-1A2B3C4D5E6F',
  NotificationTopic: 'arn:aws:sns:eu-west-2:123456789012:cgw-autopilot-NotificationTopic-1A2B3C4D5E6F',
};
/** Parameters whose empty default turns a feature off; given values so the resolver functions' config is complete. */
const PARAMETER_VALUES: Record<string, string> = {
  ResolverTrackedNames: 'db1.vendor-db.example,db2.vendor-db.example',
  ResolverStaticDomains: 'vendor-app.example',
  VendorDnsTargets: '10.200.0.2,10.200.0.3',
  OutboundResolverEndpointId: 'rslvr-out-0123456789abcdef0',
  ResolverVpcIds: 'vpc-0123456789abcdef0',
};

type Template = {
  Parameters?: Record<string, { Default?: unknown }>;
  Globals?: { Function?: { Environment?: { Variables?: Record<string, unknown> } } };
  Resources?: Record<string, { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }>;
};

function resolveValue(value: unknown, template: Template): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const ref = (value as { Ref?: string } | null)?.Ref;
  if (ref !== undefined) {
    if (ref in PARAMETER_VALUES) return PARAMETER_VALUES[ref]!;
    if (template.Parameters?.[ref]) return String(template.Parameters[ref].Default ?? '');
    if (ref in RESOURCE_IDS) return RESOURCE_IDS[ref]!;
  }
  throw new Error(`routes-bundles: cannot resolve ${JSON.stringify(value)} in a function's environment`);
}

function functionEnvironment(template: Template, logicalId: string): Record<string, string> {
  const variables = {
    ...template.Globals?.Function?.Environment?.Variables,
    ...template.Resources?.[logicalId]?.Properties?.Environment?.Variables,
  };
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolveValue(v, template)]));
}

const CHILD = `
const started = performance.now();
await import(process.env.BENCH_BUNDLE_URL);
const imported = performance.now();
process.stdout.write(JSON.stringify({ importMs: imported - started, sinceStartMs: imported }));
`;

interface ColdStart {
  importMs: number;
  sinceStartMs: number;
}

function coldStart(bundle: FunctionBundle, env: Record<string, string>): Promise<ColdStart> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, ['--input-type=module', '-e', CHILD], {
      cwd: root,
      // Only the function's environment: no NODE_OPTIONS or loaders inherited from this (tsx) process.
      env: { PATH: process.env.PATH ?? '', ...env, BENCH_BUNDLE_URL: pathToFileURL(bundle.outFile).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`${bundle.name}: import failed (exit ${code}): ${err.trim()}`));
      done(JSON.parse(out) as ColdStart);
    });
  });
}

export async function run(): Promise<string> {
  const template = readCfnTemplate(templatePath) as Template;
  const bundles = await bundleFunctions(templatePath, BUNDLE_DIR);
  const rows: string[][] = [];
  const misses: string[] = [];
  for (const bundle of bundles) {
    const env = {
      ...functionEnvironment(template, bundle.name),
      ...runtimeVariables({ functionName: `cgw-autopilot-${bundle.name}`, memoryMb: 256 } as never, 'eu-west-2'),
    };
    const { NODE_OPTIONS: _nodeOptions, ...withoutNodeOptions } = env;
    const withOptions: ColdStart[] = [];
    const without: ColdStart[] = [];
    // Interleaved, so a slow moment of the machine weighs on both alike.
    for (let i = 0; i < PROCESSES; i++) {
      withOptions.push(await coldStart(bundle, env));
      without.push(await coldStart(bundle, withoutNodeOptions));
    }
    const kb = bundle.bytes / 1024;
    const ms = median(withOptions.map((c) => c.importMs));
    if (kb > TARGET_KB) misses.push(`${bundle.name} is ${kb.toFixed(0)} KB`);
    if (ms > TARGET_MS) misses.push(`${bundle.name} imports in ${ms.toFixed(0)} ms`);
    rows.push([
      bundle.name,
      kb.toFixed(1),
      ms.toFixed(0),
      spread(
        withOptions.map((c) => c.importMs),
        0,
      ),
      median(without.map((c) => c.importMs)).toFixed(0),
      median(withOptions.map((c) => c.sinceStartMs)).toFixed(0),
    ]);
  }
  return [
    `bundles of template.yaml (esbuild, SDK external) in ${BUNDLE_DIR}; cold import in a fresh ${NODE} process, ${PROCESSES} processes each`,
    table(
      ['function', 'KB', 'import ms (median)', 'min / median / max', 'without NODE_OPTIONS', 'ms from process start'],
      rows,
    ),
    `targets: bundle <= ${TARGET_KB} KB, import <= ${TARGET_MS} ms (with the template's NODE_OPTIONS): ${misses.length ? `MISSED: ${misses.join('; ')}` : 'all met'}`,
  ].join('\n');
}

if (isMain(import.meta.url)) console.log(await run());
