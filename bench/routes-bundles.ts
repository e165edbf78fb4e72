import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFunctions, type FunctionBundle } from '../scripts/bundle.js';
import { readCfnTemplate } from '../sim/deploy/cfn-yaml.js';
import { runtimeVariables } from '../sim/services/lambda/context.js';
import { isMain, median, root, spread, table } from './routes-world.js';

/**
 * Every function of template.yaml bundled as `sam build` would (scripts/bundle.ts), then for each:
 * the bundle's size (reported, not limited) and its cold initialisation, the time a fresh Node 22
 * process (node_modules/.bin/node) takes to import() the bundle with the function's environment
 * from the template (Globals plus its own variables, parameters at their defaults, resources at
 * plausible physical ids, Lambda's runtime variables), median of 5 processes (target <= 150 ms).
 * Side by side in the same run: the template's bundle (the AWS SDK bundled) and the same bundle
 * with `@aws-sdk/*` External, whose import loads the SDK from node_modules as Lambda would load the
 * runtime's copy. Measured with the template's NODE_OPTIONS (--enable-source-maps) and without it;
 * the processes of both variants interleaved, so a slow moment of the machine weighs on both alike.
 * Each function's median cold import with NODE_OPTIONS is written to dist/.bench-bundles/init-ms.json
 * for the simulated Lambda's cold-start charge (see sim/services/lambda/cold-start.ts).
 */

const PROCESSES = 5;
const TARGET_MS = 150;
const templatePath = resolve(root, 'template.yaml');
const NODE = resolve(root, 'node_modules', '.bin', 'node');
const BUNDLE_DIR = resolve(root, 'dist', '.bench-bundles');

/** Resolved values for what a function's variables refer to, in place of a deployed stack. */
const RESOURCE_IDS: Record<string, string> = {
  StateTable: 'cgw-autopilot-StateTable-1A2B3C4D5E6F',
  NotificationTopic: 'arn:aws:sns:eu-west-2:123456789012:cgw-autopilot-NotificationTopic-1A2B3C4D5E6F',
};
/** Parameters whose empty default turns a feature off or that have no default; given values so each function's config is complete. */
const PARAMETER_VALUES: Record<string, string> = {
  ResolverTrackedNames: 'db1.vendor-db.example,db2.vendor-db.example',
  ResolverStaticDomains: 'vendor-app.example',
  VendorDnsTargets: '10.200.0.2,10.200.0.3',
  VendorCidrs: '10.200.0.0/16',
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

export interface BundleInit {
  name: string;
  bundledKb: number;
  externalKb: number;
  /** Median cold import, ms, with the template's NODE_OPTIONS. */
  bundledMs: number;
  externalMs: number;
}

/** Bundles both variants and measures every function's cold import; the rows of the report. */
export async function measureInit(): Promise<{ inits: BundleInit[]; rows: string[][] }> {
  const template = readCfnTemplate(templatePath) as Template;
  const bundled = await bundleFunctions(templatePath, resolve(BUNDLE_DIR, 'bundled'));
  const external = await bundleFunctions(templatePath, resolve(BUNDLE_DIR, 'external'), undefined, {
    external: ['@aws-sdk/*'],
  });
  const rows: string[][] = [];
  const inits: BundleInit[] = [];
  for (const bundle of bundled) {
    const other = external.find((b) => b.name === bundle.name)!;
    const env = {
      ...functionEnvironment(template, bundle.name),
      ...runtimeVariables({ functionName: `cgw-autopilot-${bundle.name}`, memoryMb: 256 } as never, 'eu-west-2'),
    };
    const { NODE_OPTIONS: _nodeOptions, ...withoutNodeOptions } = env;
    const runs = { bundled: [] as ColdStart[], bundledBare: [] as ColdStart[], external: [] as ColdStart[] };
    for (let i = 0; i < PROCESSES; i++) {
      runs.bundled.push(await coldStart(bundle, env));
      runs.bundledBare.push(await coldStart(bundle, withoutNodeOptions));
      runs.external.push(await coldStart(other, env));
    }
    const ms = (list: ColdStart[]) => median(list.map((c) => c.importMs));
    const init: BundleInit = {
      name: bundle.name,
      bundledKb: bundle.bytes / 1024,
      externalKb: other.bytes / 1024,
      bundledMs: ms(runs.bundled),
      externalMs: ms(runs.external),
    };
    inits.push(init);
    rows.push([
      bundle.name,
      init.externalKb.toFixed(1),
      init.externalMs.toFixed(0),
      init.bundledKb.toFixed(1),
      init.bundledMs.toFixed(0),
      spread(
        runs.bundled.map((c) => c.importMs),
        0,
      ),
      ms(runs.bundledBare).toFixed(0),
      median(runs.bundled.map((c) => c.sinceStartMs)).toFixed(0),
    ]);
  }
  writeFileSync(
    resolve(BUNDLE_DIR, 'init-ms.json'),
    `${JSON.stringify(Object.fromEntries(inits.map((i) => [i.name, Math.round(i.bundledMs)])), null, 2)}\n`,
  );
  return { inits, rows };
}

export async function run(): Promise<string> {
  const { inits, rows } = await measureInit();
  const misses = inits
    .filter((i) => i.bundledMs > TARGET_MS)
    .map((i) => `${i.name} imports in ${i.bundledMs.toFixed(0)} ms`);
  return [
    `bundles of template.yaml (esbuild as sam build runs it) in ${BUNDLE_DIR}; cold import in a fresh ${NODE} process, median of ${PROCESSES} processes each, with the template's NODE_OPTIONS unless said`,
    table(
      [
        'function',
        'SDK external KB',
        'external import ms',
        'SDK bundled KB',
        'bundled import ms',
        'bundled min / median / max',
        'bundled without NODE_OPTIONS',
        'bundled ms from process start',
      ],
      rows,
    ),
    `target: bundled import <= ${TARGET_MS} ms: ${misses.length ? `MISSED: ${misses.join('; ')}` : 'all met'}`,
  ].join('\n');
}

if (isMain(import.meta.url)) console.log(await run());
