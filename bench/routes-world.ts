import { resolve } from 'node:path';
import type { RequestRecord } from '../sim/core/request-log.js';
import { type DeployedStack, deployTemplate } from '../sim/deploy/deploy.js';
import { settle } from '../sim/drill/runner.js';
import type { TopologyInput } from '../sim/drill/scenario.js';
import { DrillWorld } from '../sim/drill/world.js';
import { type SimAccount, startSim } from '../sim/index.js';

/**
 * Shared by the routes-* benchmarks (this module exports no `run`, so bench/run.ts skips it): the
 * two-gateway group of scenarios/routes-active-terminated.yaml with N managed route tables, each
 * with one vendor route to cgw-a's ENI, deployed from template.yaml on a fresh simulated account.
 */

export const root = resolve(import.meta.dirname, '..');
/** Bundles of the benches' deploys go here, away from the folder the drill and tests share. */
export const BENCH_BUNDLE_DIR = resolve(root, 'dist', '.bench-routes');
export const VENDOR_CIDR = '10.200.0.0/16';

export interface RouteWorld {
  sim: SimAccount;
  stack: DeployedStack;
  world: DrillWorld;
  stateMachineArn: string;
}

export function groupTopology(tables: number): TopologyInput {
  const group = { 'cgw-autopilot:group': 'vendor-vpn' };
  return {
    vpcs: [{ name: 'app', cidr: '10.0.0.0/16', subnets: [{ name: 'gw', cidr: '10.0.0.0/24' }] }],
    instances: [
      { name: 'cgw-a', subnet: 'app.gw', sourceDestCheck: false, tags: { ...group, 'cgw-autopilot:priority': '1' } },
      { name: 'cgw-b', subnet: 'app.gw', sourceDestCheck: false, tags: { ...group, 'cgw-autopilot:priority': '2' } },
    ],
    routeTables: Array.from({ length: tables }, (_, i) => ({
      name: `private-${i}`,
      vpc: 'app',
      tags: { 'cgw-autopilot:managed': 'true' },
      routes: [{ destination: VENDOR_CIDR, target: { eniOf: 'cgw-a' } }],
    })),
  };
}

/**
 * A fresh account with the stack deployed and the topology built, then both gateways reported
 * healthy by their agents (as the scenario does) and the account settled: cgw-a is active and every
 * managed route already points at it, so the next change is the failover alone.
 */
export async function routeWorld(
  tables: number,
  options: { coldStartMs?: Record<string, number> } = {},
): Promise<RouteWorld> {
  const sim = await startSim();
  try {
    const stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      bundleDir: BENCH_BUNDLE_DIR,
      ...(options.coldStartMs ? { coldStartMs: options.coldStartMs } : {}),
      parameterOverrides: {
        VendorCidrs: '10.200.0.0/16',
        AgentStaleAfterSeconds: '86400',
        MaxChangesPerRun: String(Math.max(20, tables * 2)),
        SweepSchedule: 'rate(1 day)',
      },
    });
    const world = new DrillWorld(sim, stack, root);
    await world.build(groupTopology(tables));
    await settle(sim, 600_000);
    for (const gw of ['cgw-a', 'cgw-b']) {
      await world.step({
        putEvent: {
          sample: 'events/agent-tunnels-up.json',
          set: { id: `${gw}-up-0`, 'detail.instanceId': `{{instance.${gw}}}`, 'detail.reportedAt': '{{now}}' },
        },
      });
      await settle(sim, 600_000);
    }
    return { sim, stack, world, stateMachineArn: world.stateMachineArn('RouteReconcilerStateMachine') };
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

export interface ExecutionSummary {
  arn: string;
  status: string;
  result: string;
  decision: string;
  actions: number;
  applied: number;
  failed: number;
  converged: boolean | null;
}

/** The route reconciler's executions that started after `before` (their ARNs), with their outputs. */
export async function executionsSince(rw: RouteWorld, before: Set<string>): Promise<ExecutionSummary[]> {
  const arns = await executionArns(rw);
  const out: ExecutionSummary[] = [];
  for (const arn of arns) {
    if (before.has(arn)) continue;
    const d = await rw.world.call('sfn:DescribeExecution', { executionArn: arn });
    const output = d.output ? JSON.parse(d.output) : {};
    const actions = (output.actions ?? []) as { outcome?: { status?: string } | string }[];
    const status = (a: (typeof actions)[number]) => (typeof a.outcome === 'object' ? a.outcome?.status : a.outcome);
    out.push({
      arn,
      status: d.status,
      result: output.result ?? d.error ?? '?',
      decision: output.decision?.outcome ?? '-',
      actions: actions.length,
      applied: actions.filter((a) => status(a) === 'applied').length,
      failed: actions.filter((a) => status(a) === 'failed').length,
      converged: output.verification ? Boolean(output.verification.converged) : null,
    });
  }
  return out;
}

export async function executionArns(rw: RouteWorld): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await rw.world.call('sfn:ListExecutions', {
      stateMachineArn: rw.stateMachineArn,
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    for (const e of page.executions ?? []) arns.push(e.executionArn);
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/**
 * The longest chain of calls each starting after the previous one ended (the chain whose length
 * sequentialDepth counts), oldest first: where a run waited round trip after round trip.
 */
export function criticalChain<R extends Pick<RequestRecord, 'start' | 'end'>>(records: readonly R[]): R[] {
  const byEnd = [...records].sort((a, b) => a.end - b.end);
  const byStart = [...records].sort((a, b) => a.start - b.start);
  const depth = new Map<R, number>();
  const prev = new Map<R, R | undefined>();
  let j = 0;
  let bestBefore: R | undefined;
  let last: R | undefined;
  for (const r of byStart) {
    while (j < byEnd.length && byEnd[j]!.end <= r.start) {
      const candidate = byEnd[j]!;
      if (depth.has(candidate) && (!bestBefore || depth.get(candidate)! > depth.get(bestBefore)!))
        bestBefore = candidate;
      j++;
    }
    depth.set(r, bestBefore ? depth.get(bestBefore)! + 1 : 1);
    prev.set(r, bestBefore);
    if (!last || depth.get(r)! > depth.get(last)!) last = r;
  }
  const chain: R[] = [];
  for (let r = last; r; r = prev.get(r)) chain.unshift(r);
  return chain;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** `min / median / max` of a list, rounded. */
export function spread(xs: number[], digits = 0): string {
  if (new Set(xs).size === 1) return xs[0]!.toFixed(digits);
  return `${Math.min(...xs).toFixed(digits)} / ${median(xs).toFixed(digits)} / ${Math.max(...xs).toFixed(digits)}`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** True when the module at `url` is the script node was started with (a bench run alone). */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  return script !== undefined && resolve(script) === new URL(url).pathname;
}
