import { resolve } from 'node:path';
import { readScenario, runScenario } from '../sim/drill/runner.js';
import { type SimAccount, startSim } from '../sim/index.js';
import type { EventsService } from '../sim/services/events.js';
import type { LambdaService } from '../sim/services/lambda/service.js';
import { isMain, median, table } from './routes-world.js';

/**
 * Time from a repaired fault to the reachability probe reporting recovery, in the drill scenarios that
 * repair one: the stale resolver rule (repaired by the AssociateResolverRule of the missing rule) and
 * the active gateway's tunnels down (repaired by the failover's last ReplaceRoute). Measured on the
 * wall clock from the end of the repairing call to the end of the probe run whose report says the name
 * is reachable again; the simulated time from the reconciler's result event to that probe run is
 * reported too (the probe runs on that event, not waiting for its one-minute schedule), with the
 * downtime the probe itself reports.
 */

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = 3;
const SCENARIOS = [
  { name: 'probe-stale-rule', repair: 'route53resolver:AssociateResolverRule' },
  { name: 'probe-tunnels-down', repair: 'ec2:ReplaceRoute' },
];

const RESULT: Record<string, string> = {
  route53resolver: 'Resolver Reconciliation Result',
  ec2: 'Route Reconciliation Result',
};

interface RecoveryRun {
  wallMs: number;
  simulatedSeconds: number;
  downSeconds: number | undefined;
  trigger: string;
}

async function once(sim: SimAccount, name: string, repair: string): Promise<RecoveryRun> {
  const result = await runScenario(readScenario(resolve(ROOT, 'scenarios', `${name}.yaml`)), { sim, root: ROOT });
  if (!result.ok)
    throw new Error(
      `${name} failed: ${JSON.stringify(result.expectations.filter((e) => !e.ok))} ${result.error ?? ''}`,
    );
  const [service, action] = repair.split(':');
  const repairs = sim.log
    .all({ product: true })
    .filter((r) => r.service === service && r.action === action && r.outcome === 'ok');
  const repaired = repairs.at(-1);
  if (!repaired) throw new Error(`${name}: no ${repair} call`);
  const lambda = sim.service<LambdaService>('lambda');
  const report = lambda.invocations.find((i) => {
    if (!('result' in i.outcome)) return false;
    const changes = (i.outcome.result as { changes?: { to: string }[] } | null)?.changes ?? [];
    return i.startedAtWall >= repaired.start && changes.some((c) => c.to === 'reachable');
  });
  if (!report) throw new Error(`${name}: no probe run reported the recovery`);
  const result0 = (
    report.outcome as { result: { changes: { downSeconds?: number }[]; trigger: { kind: string }; probedAt: string } }
  ).result;
  // The simulated time of the repair: the reconciler's result event that reports it (EventBridge times have seconds).
  const resultEvent = sim
    .service<EventsService>('events')
    .events.findLast(
      (e) => e['detail-type'] === RESULT[service ?? ''] && Date.parse(e.time) <= Date.parse(result0.probedAt),
    );
  if (!resultEvent) throw new Error(`${name}: no ${RESULT[service ?? '']} event`);
  const repairedAtSim = resultEvent.time;
  return {
    wallMs: report.startedAtWall + report.durationMs - repaired.end,
    simulatedSeconds: (Date.parse(result0.probedAt) - Date.parse(repairedAtSim)) / 1000,
    downSeconds: result0.changes.find((c) => c.downSeconds !== undefined)?.downSeconds,
    trigger: result0.trigger.kind,
  };
}

export async function run(): Promise<string> {
  const sim = await startSim();
  const rows: string[][] = [];
  try {
    for (const { name, repair } of SCENARIOS) {
      const runs: RecoveryRun[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await once(sim, name, repair));
      const wall = runs.map((r) => r.wallMs);
      rows.push([
        name,
        repair,
        `${median(wall).toFixed(0)} ms (${Math.min(...wall).toFixed(0)} to ${Math.max(...wall).toFixed(0)})`,
        `${median(runs.map((r) => r.simulatedSeconds))} s`,
        `${runs[0]?.downSeconds ?? '-'} s`,
        [...new Set(runs.map((r) => r.trigger))].join(', '),
      ]);
    }
  } finally {
    await sim.stop();
  }
  return table(
    [
      'scenario',
      'repaired by',
      'repair to recovery reported (wall, median of 3)',
      'simulated',
      'downtime reported',
      'probe run by',
    ],
    rows,
  );
}

if (isMain(import.meta.url)) console.log(await run());
