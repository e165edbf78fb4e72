import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RequestRecord } from '../sim/core/request-log.js';
import { sequentialDepth } from '../sim/core/request-log.js';
import { discardIdleEnvironments } from '../sim/deploy/deploy.js';
import { settle } from '../sim/drill/runner.js';
import type { LambdaService } from '../sim/services/lambda/service.js';
import {
  criticalChain,
  executionArns,
  executionsSince,
  isMain,
  median,
  routeWorld,
  spread,
  table,
} from './routes-world.js';

/**
 * Failover of the route reconciler end to end on the simulated account: the active gateway (cgw-a)
 * is terminated while N managed route tables each hold one vendor route to its ENI; 100 ms per EC2
 * call, 20 ms per DynamoDB call. Measured from the end of the TerminateInstances call (when EC2
 * emits the state-change event) to the end of the last ReplaceRoute, and the sequential depth of
 * the product's EC2 + DynamoDB calls on that path (lambda:Invoke and states calls are the runner's,
 * the drill's own calls are left out). Every function is cold when the event arrives (the idle
 * execution environments are let go after the set-up), and each new environment costs its bundle's
 * cold initialisation as the bundles benchmark measured it (dist/.bench-bundles/init-ms.json, written by
 * that benchmark earlier in the same `npm run bench`; measured here when absent). Reported: the
 * environments created on the path (cold starts that began before the last route switched) and in
 * the whole run. Targets: at most 6 sequential calls, 1.5 s and 3 new environments at 100 tables.
 */

// BENCH_FAILOVER_TABLES=100 BENCH_FAILOVER_RUNS=1 for a quick look at one size.
const SIZES = process.env.BENCH_FAILOVER_TABLES?.split(',').map(Number) ?? [1, 10, 100, 500];
const RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 3);
const EC2_LATENCY_MS = 100;
const DDB_LATENCY_MS = 20;
const TARGET_DEPTH_100 = 6;
const TARGET_MS_100 = 1_500;
const TARGET_ENVIRONMENTS = 3;
const INIT_FILE = resolve(import.meta.dirname, '..', 'dist', '.bench-bundles', 'init-ms.json');

/** Each function's measured cold initialisation (ms), by logical id. */
async function coldStartMs(): Promise<Record<string, number>> {
  if (!existsSync(INIT_FILE)) await (await import('./bundles.js')).measureInit();
  return JSON.parse(readFileSync(INIT_FILE, 'utf8')) as Record<string, number>;
}

interface FailoverRun {
  tables: number;
  actions: number;
  wallToLastRouteMs: number;
  wallToDoneMs: number;
  depthToLastRoute: number;
  /** Depth of the calls that ended before the first ReplaceRoute started: intake, observe, decide. */
  depthBeforeApply: number;
  /** Depth of the ReplaceRoute calls alone: the Map's rounds. */
  applyRounds: number;
  wallToFirstRouteMs: number;
  depthWhole: number;
  ec2Calls: number;
  ddbCalls: number;
  ec2CallsWhole: number;
  ddbCallsWhole: number;
  invocations: Record<string, number>;
  /** Execution environments started on the path (before the last route switched) and in the whole run, by function. */
  environmentsOnPath: Record<string, number>;
  /** The path's cold starts: function, the in-process import and the whole Init (charged at least the measured init), ms. */
  initsOnPath: string[];
  /** ReplaceRoute calls in start order, by 40 (Apply's batches): ms from the first start to the last in each. */
  batchStartSpreadMs: number[];
  environmentsWhole: number;
  executions: string;
  chain: string;
}

const short = (r: RequestRecord) => `${r.service === 'dynamodb' ? 'ddb' : r.service}:${r.action}`;

/** Consecutive equal names folded: `ec2:ReplaceRoute x3`. */
function describeChain(chain: RequestRecord[]): string {
  const parts: string[] = [];
  let prev = '';
  let n = 0;
  for (const name of [...chain.map(short), '']) {
    if (name === prev) n++;
    else {
      if (prev) parts.push(n > 1 ? `${prev} x${n}` : prev);
      prev = name;
      n = 1;
    }
  }
  return parts.join(' -> ');
}

/** ReplaceRoute calls in start order, 40 at a time (Apply's batches): how far apart each batch's calls started. */
function batchSpreads(replaces: RequestRecord[]): number[] {
  const starts = replaces.map((r) => r.start).sort((a, b) => a - b);
  const spreads: number[] = [];
  for (let i = 0; i < starts.length; i += 40) {
    const batch = starts.slice(i, i + 40);
    spreads.push(batch.at(-1)! - batch[0]!);
  }
  return spreads;
}

async function measure(tables: number, initMs: Record<string, number>): Promise<FailoverRun> {
  const rw = await routeWorld(tables, { coldStartMs: initMs });
  const { sim, world, stack } = rw;
  try {
    const lambda = sim.service<LambdaService>('lambda');
    sim.faults.add({ service: 'ec2', latencyMs: EC2_LATENCY_MS });
    sim.faults.add({ service: 'dynamodb', latencyMs: DDB_LATENCY_MS });
    const before = new Set(await executionArns(rw));
    const invocationsBefore = lambda.invocations.length;
    discardIdleEnvironments(stack);
    const coldStartsBefore = stack.coldStarts.length;
    const since = sim.log.mark();
    await world.step({ terminate: 'cgw-a' });
    await settle(sim, 600_000);

    const terminate = sim.log
      .all({ since, service: 'ec2', action: 'TerminateInstances' })
      .find((r) => r.byDrill && r.outcome === 'ok');
    if (!terminate) throw new Error('no TerminateInstances call in the log');
    const product = sim.log
      .all({ since, product: true })
      .filter((r) => (r.service === 'ec2' || r.service === 'dynamodb') && r.start >= terminate.end);
    const replaces = product.filter((r) => r.action === 'ReplaceRoute' && r.outcome === 'ok');
    const lastRoute = Math.max(...replaces.map((r) => r.end));
    const onPath = product.filter((r) => r.end <= lastRoute);
    const firstRoute = Math.min(...replaces.map((r) => r.start));
    const executions = await executionsSince(rw, before);
    const invocations: Record<string, number> = {};
    for (const inv of lambda.invocations.slice(invocationsBefore)) {
      const fn = inv.functionName.replace(/^cgw-autopilot-/, '').replace(/Function-[0-9A-F]+$/, '');
      invocations[fn] = (invocations[fn] ?? 0) + 1;
    }
    const done = Math.max(...product.map((r) => r.end));
    const coldStarts = stack.coldStarts.slice(coldStartsBefore);
    const environmentsOnPath: Record<string, number> = {};
    const initsOnPath: string[] = [];
    for (const c of coldStarts.filter((c) => c.at < lastRoute)) {
      const fn = c.logicalId.replace(/Function$/, '');
      environmentsOnPath[fn] = (environmentsOnPath[fn] ?? 0) + 1;
      initsOnPath.push(`${fn} ${(c.importMs ?? Number.NaN).toFixed(0)}/${(c.initMs ?? Number.NaN).toFixed(0)}`);
    }
    return {
      tables,
      actions: executions.reduce((n, e) => n + e.actions, 0),
      wallToLastRouteMs: replaces.length ? lastRoute - terminate.end : Number.NaN,
      wallToDoneMs: done - terminate.end,
      depthToLastRoute: sequentialDepth(onPath),
      depthBeforeApply: sequentialDepth(onPath.filter((r) => r.end <= firstRoute)),
      applyRounds: sequentialDepth(replaces),
      wallToFirstRouteMs: firstRoute - terminate.end,
      depthWhole: sequentialDepth(product),
      ec2Calls: onPath.filter((r) => r.service === 'ec2').length,
      ddbCalls: onPath.filter((r) => r.service === 'dynamodb').length,
      ec2CallsWhole: product.filter((r) => r.service === 'ec2').length,
      ddbCallsWhole: product.filter((r) => r.service === 'dynamodb').length,
      invocations,
      environmentsOnPath,
      initsOnPath,
      batchStartSpreadMs: batchSpreads(replaces),
      environmentsWhole: coldStarts.length,
      executions: executions
        .map(
          (e) => `${e.status} ${e.result} (${e.decision}, ${e.applied}/${e.actions} applied, converged ${e.converged})`,
        )
        .join('; '),
      chain: describeChain(criticalChain(onPath)),
    };
  } finally {
    await sim.stop();
  }
}

export async function run(): Promise<string> {
  const initMs = await coldStartMs();
  const bySize = new Map<number, FailoverRun[]>();
  for (const tables of SIZES) {
    const runs: FailoverRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measure(tables, initMs));
    bySize.set(tables, runs);
  }
  const header = [
    'tables',
    'actions',
    'ms event->last route',
    'EC2+DDB depth',
    'EC2 calls',
    'DDB calls',
    'of which before apply',
    'ReplaceRoute rounds',
    'ms event->1st route',
    'ms event->done',
    'depth whole run',
    'new environments on path',
    'new environments whole run',
  ];
  const rows = [...bySize].map(([tables, runs]) => [
    String(tables),
    spread(runs.map((r) => r.actions)),
    spread(runs.map((r) => r.wallToLastRouteMs)),
    spread(runs.map((r) => r.depthToLastRoute)),
    spread(runs.map((r) => r.ec2Calls)),
    spread(runs.map((r) => r.ddbCalls)),
    spread(runs.map((r) => r.depthBeforeApply)),
    `${spread(runs.map((r) => r.applyRounds))} (ideal ${Math.ceil(tables / 40)})`,
    spread(runs.map((r) => r.wallToFirstRouteMs)),
    spread(runs.map((r) => r.wallToDoneMs)),
    spread(runs.map((r) => r.depthWhole)),
    spread(runs.map((r) => Object.values(r.environmentsOnPath).reduce((a, b) => a + b, 0))),
    spread(runs.map((r) => r.environmentsWhole)),
  ]);
  const lines = [
    `failover (terminate cgw-a) with N managed tables, 1 vendor route each; EC2 ${EC2_LATENCY_MS} ms, DynamoDB ${DDB_LATENCY_MS} ms per call; every function cold, each new environment charged its measured init (${Object.entries(
      initMs,
    )
      .filter(([fn]) => fn.startsWith('Route'))
      .map(([fn, ms]) => `${fn.replace(/Function$/, '')} ${ms} ms`)
      .join(', ')}); ${RUNS} runs per size (min / median / max when they differ)`,
    table(header, rows),
    '',
    'lambda invocations per run (event -> done):',
    ...[...bySize].map(
      ([tables, runs]) =>
        `  ${String(tables).padStart(3)} tables: ${Object.entries(runs[0]!.invocations)
          .map(([fn, n]) => `${fn} ${n}`)
          .join(', ')}; EC2/DDB calls of the whole run ${runs[0]!.ec2CallsWhole}/${runs[0]!.ddbCallsWhole}`,
    ),
    'new environments on the path (before the last route switched), first run:',
    ...[...bySize].map(
      ([tables, runs]) =>
        `  ${String(tables).padStart(3)} tables: ${
          Object.entries(runs[0]!.environmentsOnPath)
            .map(([fn, n]) => `${fn} ${n}`)
            .join(', ') || 'none'
        }`,
    ),
    'cold starts on the path, in-process import / whole Init ms (each Init is charged at least the measured init; an import longer than that is the load of the machine), first run:',
    ...[...bySize].map(
      ([tables, runs]) => `  ${String(tables).padStart(3)} tables: ${runs[0]!.initsOnPath.join(', ')}`,
    ),
    'ReplaceRoute start spread per batch of 40, ms (more than the 100 ms EC2 latency: calls sent at once start after others ended, one more level of depth), first run:',
    ...[...bySize].map(
      ([tables, runs]) =>
        `  ${String(tables).padStart(3)} tables: ${runs[0]!.batchStartSpreadMs.map((ms) => ms.toFixed(0)).join(', ')}`,
    ),
    'executions started by the event:',
    ...[...bySize].map(([tables, runs]) => `  ${String(tables).padStart(3)} tables: ${runs[0]!.executions}`),
    'longest sequential chain of EC2 + DDB calls, event -> last route (first run):',
    ...[...bySize].map(([tables, runs]) => `  ${String(tables).padStart(3)} tables: ${runs[0]!.chain}`),
  ];
  const at100 = bySize.get(100);
  if (at100) {
    const depth = median(at100.map((r) => r.depthToLastRoute));
    const ms = median(at100.map((r) => r.wallToLastRouteMs));
    const envs = Math.max(
      ...[...bySize.values()].flat().map((r) => Object.values(r.environmentsOnPath).reduce((a, b) => a + b, 0)),
    );
    lines.push(
      `targets at 100 tables: depth ${depth} (<= ${TARGET_DEPTH_100}: ${depth <= TARGET_DEPTH_100 ? 'met' : 'MISSED'}), ` +
        `${ms.toFixed(0)} ms median (<= ${TARGET_MS_100}: ${ms <= TARGET_MS_100 ? 'met' : 'MISSED'}); ` +
        `at most ${envs} new environments on the path at any size (<= ${TARGET_ENVIRONMENTS}: ${envs <= TARGET_ENVIRONMENTS ? 'met' : 'MISSED'})`,
    );
  }
  return lines.join('\n');
}

if (isMain(import.meta.url)) console.log(await run());
