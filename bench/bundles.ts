import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFunctions, type FunctionBundle } from '../scripts/bundle.js';
import { deployTemplate } from '../sim/deploy/deploy.js';
import { startSim } from '../sim/index.js';
import { runtimeVariables } from '../sim/services/lambda/context.js';
import type { LambdaService } from '../sim/services/lambda/service.js';
import { isMain, median, root, spread, table } from './routes-world.js';

/**
 * Every function of template.yaml bundled as `sam build` would (scripts/bundle.ts), then for each:
 * the bundle's size (reported, not limited) and its cold initialisation, the time a fresh Node 22
 * process (node_modules/.bin/node) takes to import() the bundle with the function's environment as
 * the local deploy resolves it (the template deployed on a simulated account with every optional
 * feature configured, so every function exists; plus Lambda's runtime variables), median of 5
 * processes (target <= 150 ms). Side by side in the same run: the template's bundle (the AWS SDK
 * bundled) and the same bundle with `@aws-sdk/*` External, whose import loads the SDK from
 * node_modules as Lambda would load the runtime's copy. Measured with the template's NODE_OPTIONS
 * (--enable-source-maps) and without it; the processes of the variants interleaved, so a slow moment
 * of the machine weighs on all alike. Each function's median cold import with NODE_OPTIONS is
 * written to dist/.bench-bundles/init-ms.json, which routes-failover charges each new execution
 * environment of the simulated Lambda (deploy option coldStartMs).
 */

// BENCH_BUNDLES_PROCESSES=1 for a quick look.
const PROCESSES = Number(process.env.BENCH_BUNDLES_PROCESSES ?? 5);
const TARGET_MS = 150;
const templatePath = resolve(root, 'template.yaml');
const NODE = resolve(root, 'node_modules', '.bin', 'node');
const BUNDLE_DIR = resolve(root, 'dist', '.bench-bundles');

/**
 * Parameters that switch every optional function on (the Resolver reconciler, the reachability
 * probe), with plausible ids: only the functions' environments are read from this deploy.
 */
const PARAMETERS: Record<string, string> = {
  VendorCidrs: '10.200.0.0/16',
  ResolverTrackedNames: 'db1.vendor-db.example,db2.vendor-db.example',
  ResolverStaticDomains: 'vendor-app.example',
  OutboundResolverEndpointId: 'rslvr-out-0123456789abcdef0',
  VendorDnsTargets: '10.200.0.2,10.200.0.3',
  ResolverVpcIds: 'vpc-0123456789abcdef0',
  ResolverSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
  ResolverSecurityGroupVpcId: 'vpc-0123456789abcdef0',
  ResolverDnsEgressCidr: '10.200.0.0/16',
  ProbePorts: '1521,1521,443',
  ProbeVpcCidr: '10.0.0.0/16',
};

/** Each function's environment variables (by logical id), as the local deploy of the template sets them. */
async function functionEnvironments(): Promise<Map<string, Record<string, string>>> {
  const sim = await startSim();
  try {
    const stack = await deployTemplate({
      templatePath,
      sim,
      bundleDir: resolve(BUNDLE_DIR, 'deploy'),
      parameterOverrides: PARAMETERS,
    });
    const { functions } = sim.service<LambdaService>('lambda').snapshot() as {
      functions: { name: string; environment: Record<string, string> }[];
    };
    return new Map(functions.map((f) => [stack.functionLogicalIds[f.name]!, f.environment]));
  } finally {
    await sim.stop();
  }
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
  const environments = await functionEnvironments();
  const bundled = await bundleFunctions(templatePath, resolve(BUNDLE_DIR, 'bundled'));
  const external = await bundleFunctions(templatePath, resolve(BUNDLE_DIR, 'external'), undefined, {
    external: ['@aws-sdk/*'],
  });
  const rows: string[][] = [];
  const inits: BundleInit[] = [];
  for (const bundle of bundled) {
    const other = external.find((b) => b.name === bundle.name)!;
    if (!environments.has(bundle.name)) throw new Error(`bundles: ${bundle.name} was not deployed`);
    const env = {
      ...environments.get(bundle.name),
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
