import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { readCfnTemplate } from '../sim/deploy/cfn-yaml.js';
import { deployTemplate } from '../sim/deploy/deploy.js';
import { advanceStepwise, settle } from '../sim/drill/runner.js';
import { DrillWorld } from '../sim/drill/world.js';
import { type SimAccount, startSim } from '../sim/index.js';
import type { EventsService } from '../sim/services/events.js';
import type { LambdaService } from '../sim/services/lambda/service.js';
import type { SfnService } from '../sim/services/sfn/service.js';
import { groupTopology, isMain, root, table } from './routes-world.js';

/**
 * What one gateway group costs to run idle, from counts: a simulated day on the simulated account
 * (5-minute sweeps, 2 gateways reporting every 60 s, 200 state changes of instances outside the group,
 * 20 status-check alarms about them), played on the design before the route trigger (every rule and
 * the schedule start the Standard state machine, which drops what is not the group's in its Intake
 * state) and on today's (the rules and the schedule invoke RouteTriggerFunction, which starts the
 * state machine only when something may change). Counts state transitions, Lambda invocations,
 * GB-seconds (configured memory x billed duration, rounded up to the millisecond), EventBridge events
 * and Scheduler invocations, and prices a 30-day month at list prices. EC2 and DynamoDB calls take
 * EC2_LATENCY_MS and DDB_LATENCY_MS, so durations include a round trip per call; Lambda durations are
 * measured in-process on this machine, so GB-seconds move with its load (compare runs side by side).
 *
 * COST_HOURS (default 24) plays a shorter day; the loads scale with it.
 */

const HOURS = Number(process.env.COST_HOURS ?? 24);
const DAY_S = HOURS * 3600;
const REPORT_EVERY_S = 60;
const UNRELATED_STATE_CHANGES = Math.round((200 * HOURS) / 24);
const UNRELATED_ALARMS = Math.round((20 * HOURS) / 24);
const UNRELATED_INSTANCES = 10;
const EC2_LATENCY_MS = 20;
const DDB_LATENCY_MS = 5;
const MONTH_DAYS = 30;

/** List prices, US East (N. Virginia), as the pricing pages give them (see README, Cost). */
const PRICE = {
  /** Step Functions Standard: per state transition ($0.025 per 1,000). */
  transition: 0.025 / 1000,
  /** Lambda: per request ($0.20 per million). */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda arm64 (the template's architecture): per GB-second. */
  gbSecondArm: 0.0000133334,
  /** EventBridge: custom events put on a bus ($1.00 per million); AWS service events are free. */
  customEvent: 1 / 1e6,
  /** EventBridge Scheduler: invocations ($1.00 per million after 14 million free per month and account). */
  schedulerInvocation: 1 / 1e6,
};

interface DayCounts {
  executions: number;
  transitions: number;
  invocations: Record<string, number>;
  gbSeconds: number;
  customEvents: number;
  serviceEvents: number;
  scheduled: number;
}

type Design = 'before' | 'after';

/**
 * The template of the design before the trigger: today's, with RouteTriggerFunction's rules and
 * schedule given back to the state machine as they were, and the state machine entered at Intake.
 * Written as JSON next to a copy of the state machine, with absolute code paths.
 */
function beforeTemplate(): string {
  const dir = resolve(root, 'dist', '.bench-cost');
  mkdirSync(dir, { recursive: true });
  const template = readCfnTemplate(resolve(root, 'template.yaml')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resources = template.Resources;
  const trigger = resources.RouteTriggerFunction;
  const machine = resources.RouteReconcilerStateMachine;
  if (!trigger || !machine) throw new Error('template.yaml has no RouteTriggerFunction or RouteReconcilerStateMachine');
  machine.Properties.Events = trigger.Properties.Events;
  delete resources.RouteTriggerFunction;
  delete resources.RouteTriggerFunctionLogs;
  const asl = JSON.parse(readFileSync(resolve(root, 'statemachines/route-reconciler.asl.json'), 'utf8'));
  delete asl.States.Entry;
  delete asl.States.Admitted;
  asl.StartAt = 'Intake';
  const aslPath = resolve(dir, 'route-reconciler-before.asl.json');
  writeFileSync(aslPath, JSON.stringify(asl, null, 2));
  machine.Properties.DefinitionUri = aslPath;
  for (const resource of Object.values(resources)) {
    const uri = resource.Properties?.CodeUri ?? resource.Properties?.DefinitionUri;
    if (typeof uri === 'string' && !isAbsolute(uri)) {
      if (resource.Properties.CodeUri) resource.Properties.CodeUri = resolve(root, uri);
      else resource.Properties.DefinitionUri = resolve(root, uri);
    }
  }
  const path = resolve(dir, 'template-before.json');
  writeFileSync(path, JSON.stringify(template, null, 2));
  return path;
}

async function playDay(design: Design): Promise<{ counts: DayCounts; wallS: number }> {
  const started = performance.now();
  const sim: SimAccount = await startSim();
  try {
    const stack = await deployTemplate({
      templatePath: design === 'after' ? resolve(root, 'template.yaml') : beforeTemplate(),
      sim,
      bundleDir: resolve(root, 'dist', '.bench-cost', design),
      parameterOverrides: { VendorCidrs: '10.200.0.0/16' },
    });
    const world = new DrillWorld(sim, stack, root);
    const topology = groupTopology(2);
    for (let i = 0; i < UNRELATED_INSTANCES; i++) {
      topology.instances!.push({ name: `web-${i}`, subnet: 'app.gw', tags: { Name: `web ${i}` } });
    }
    await world.build(topology);
    await settle(sim, 600_000);
    sim.faults.add({ service: 'ec2', latencyMs: EC2_LATENCY_MS });
    sim.faults.add({ service: 'dynamodb', latencyMs: DDB_LATENCY_MS });
    // Count from here: the day, not the deployment and the topology's launches.
    const lambda = sim.service<LambdaService>('lambda');
    const events = sim.service<EventsService>('events');
    const sfn = sim.service<SfnService>('states');
    const invocationsBefore = lambda.invocations.length;
    const eventsBefore = events.events.length;
    const deliveriesBefore = events.deliveries.length;
    const executionsBefore = new Set(sfn.executionsWith(() => true).map((e) => e.arn));

    const sequence = new Map<string, number>();
    const stateChangeEvery = DAY_S / Math.max(1, UNRELATED_STATE_CHANGES);
    const alarmEvery = DAY_S / Math.max(1, UNRELATED_ALARMS);
    const states = ['stopping', 'stopped', 'running'] as const;
    let stateChanges = 0;
    let alarms = 0;
    for (let t = 0; t < DAY_S; t += REPORT_EVERY_S) {
      for (const gw of ['cgw-a', 'cgw-b']) {
        const next = (sequence.get(gw) ?? 0) + 1;
        sequence.set(gw, next);
        await world.step({
          putEvent: {
            sample: 'events/agent-tunnels-up.json',
            set: { 'detail.instanceId': `{{instance.${gw}}}`, 'detail.reportedAt': '{{now}}', 'detail.sequence': next },
          },
        });
      }
      while (stateChanges < UNRELATED_STATE_CHANGES && stateChanges * stateChangeEvery <= t) {
        const instance = world.ref('instance', `web-${stateChanges % UNRELATED_INSTANCES}`);
        world.publishServiceEvent({
          source: 'aws.ec2',
          'detail-type': 'EC2 Instance State-change Notification',
          resources: [`arn:aws:ec2:eu-west-2:123456789012:instance/${instance}`],
          detail: { 'instance-id': instance, state: states[stateChanges % states.length] },
        });
        stateChanges++;
      }
      while (alarms < UNRELATED_ALARMS && alarms * alarmEvery <= t) {
        const alarm = JSON.parse(readFileSync(resolve(root, 'events/cloudwatch-status-check-alarm.json'), 'utf8'));
        alarm.detail.alarmName = `web-${alarms % UNRELATED_INSTANCES}-status-check`;
        alarm.detail.configuration.metrics[0].metricStat.metric.dimensions = {
          InstanceId: world.ref('instance', `web-${alarms % UNRELATED_INSTANCES}`),
        };
        world.publishServiceEvent({ ...alarm, id: crypto.randomUUID() });
        alarms++;
      }
      await settle(sim, 600_000);
      await advanceStepwise(sim, REPORT_EVERY_S * 1000);
    }
    await settle(sim, 600_000);

    const invocations: Record<string, number> = {};
    let gbSeconds = 0;
    const memory = new Map(
      (lambda.snapshot() as { functions: { name: string; memoryMb: number }[] }).functions.map((f) => [
        f.name,
        f.memoryMb,
      ]),
    );
    for (const i of lambda.invocations.slice(invocationsBefore)) {
      const name = stack.functionLogicalIds[i.functionName] ?? i.functionName;
      invocations[name] = (invocations[name] ?? 0) + 1;
      gbSeconds += ((memory.get(i.functionName) ?? 128) / 1024) * (Math.ceil(i.durationMs) / 1000);
    }
    const executions = sfn.executionsWith((e) => !executionsBefore.has(e.arn));
    // Step Functions bills a transition each time a step runs, retries included: every state entered.
    const transitions = executions.reduce(
      (n, e) => n + e.history.events.filter((h) => h.type.endsWith('StateEntered')).length,
      0,
    );
    const dayEvents = events.events.slice(eventsBefore);
    const scheduled = events.deliveries
      .slice(deliveriesBefore)
      .filter((d) => stack.rules.some((r) => r.name === d.ruleName && r.schedule !== undefined)).length;
    return {
      counts: {
        executions: executions.length,
        transitions,
        invocations,
        gbSeconds,
        customEvents: dayEvents.filter((e) => !e.source.startsWith('aws.')).length,
        serviceEvents: dayEvents.filter((e) => e.source.startsWith('aws.')).length,
        scheduled,
      },
      wallS: (performance.now() - started) / 1000,
    };
  } finally {
    await sim.stop();
  }
}

const money = (usd: number) => `$${usd.toFixed(usd < 0.1 ? 4 : 2)}`;
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

function monthly(c: DayCounts) {
  const k = (MONTH_DAYS * 24) / HOURS;
  const requests = Object.values(c.invocations).reduce((a, b) => a + b, 0);
  const items = {
    transitions: c.transitions * k * PRICE.transition,
    lambdaRequests: requests * k * PRICE.lambdaRequest,
    lambdaDuration: c.gbSeconds * k * PRICE.gbSecondArm,
    customEvents: c.customEvents * k * PRICE.customEvent,
    scheduler: c.scheduled * k * PRICE.schedulerInvocation,
  };
  return { k, requests, items, total: Object.values(items).reduce((a, b) => a + b, 0) };
}

export async function run(): Promise<string> {
  const designs: Design[] = (process.env.COST_DESIGNS ?? 'before,after').split(',') as Design[];
  const results = new Map<Design, { counts: DayCounts; wallS: number }>();
  for (const design of designs) results.set(design, await playDay(design));
  const header = ['per day', ...designs];
  const col = (f: (c: DayCounts) => string) => designs.map((d) => f(results.get(d)!.counts));
  const functions = [...new Set(designs.flatMap((d) => Object.keys(results.get(d)!.counts.invocations)))].sort();
  const rows: string[][] = [
    ['Standard executions', ...col((c) => thousands(c.executions))],
    ['state transitions', ...col((c) => thousands(c.transitions))],
    ...functions.map((f) => [`  invocations ${f}`, ...col((c) => thousands(c.invocations[f] ?? 0))]),
    ['Lambda invocations', ...col((c) => thousands(Object.values(c.invocations).reduce((a, b) => a + b, 0)))],
    ['Lambda GB-s (256 MB x billed ms)', ...col((c) => c.gbSeconds.toFixed(1))],
    ['EventBridge custom events', ...col((c) => thousands(c.customEvents))],
    ['EventBridge AWS service events (free)', ...col((c) => thousands(c.serviceEvents))],
    ['Scheduler invocations', ...col((c) => thousands(c.scheduled))],
  ];
  const month = designs.map((d) => monthly(results.get(d)!.counts));
  const monthRows: string[][] = [
    ['Step Functions transitions ($0.025 / 1,000)', ...month.map((m) => money(m.items.transitions))],
    ['Lambda requests ($0.20 / million)', ...month.map((m) => money(m.items.lambdaRequests))],
    ['Lambda duration (arm64 $0.0000133334 / GB-s)', ...month.map((m) => money(m.items.lambdaDuration))],
    ['EventBridge custom events ($1.00 / million)', ...month.map((m) => money(m.items.customEvents))],
    ['EventBridge Scheduler ($1.00 / million)', ...month.map((m) => money(m.items.scheduler))],
    ['total per group, no free tier', ...month.map((m) => money(m.total))],
  ];
  return [
    `a simulated ${HOURS} h: sweeps every 5 min, 2 gateways reporting every ${REPORT_EVERY_S} s, ${UNRELATED_STATE_CHANGES} state changes of ${UNRELATED_INSTANCES} instances outside the group, ${UNRELATED_ALARMS} status-check alarms about them; EC2 ${EC2_LATENCY_MS} ms, DynamoDB ${DDB_LATENCY_MS} ms per call`,
    `played in ${designs.map((d) => `${d} ${results.get(d)!.wallS.toFixed(0)} s`).join(', ')} of wall time`,
    table(header, rows),
    '',
    `per 30-day month (x${month[0]!.k.toFixed(0)}), list prices, us-east-1`,
    table(['per month', ...designs], monthRows),
  ].join('\n');
}

if (isMain(import.meta.url)) console.log(await run());
