import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCfnTemplate } from '../deploy/cfn-yaml.js';
import { type DeployedStack, deployTemplate } from '../deploy/deploy.js';
import type { SimAccount } from '../index.js';
import type { SimServer } from '../server.js';
import type { EventsService } from '../services/events.js';
import type { LambdaService } from '../services/lambda/service.js';
import type { SfnService } from '../services/sfn/service.js';
import { checkExpectation, type ExpectationResult } from './expect.js';
import { durationMs, readScenario, type Scenario, stepWhere } from './scenario.js';
import { collectTimeline, TimelineCursor, type TimelineEntry } from './timeline.js';
import { Topology } from './topology.js';
import { DrillWorld } from './world.js';

export interface ScenarioResult {
  name: string;
  file: string;
  description: string;
  ok: boolean;
  expectations: ExpectationResult[];
  timeline: TimelineEntry[];
  executions: number;
  awsCalls: number;
  simulatedMs: number;
  /** Set when the scenario could not be played to the end (a step failed). */
  error?: string;
  /** Every execution of the scenario with its output (or error): the reconcilers' audit records. */
  outputs: ExecutionOutput[];
  /** When an expectation failed: how each state machine's last execution ended, and its decision's reason. */
  why: string[];
}

/** One execution as it ended. */
export interface ExecutionOutput {
  stateMachine: string;
  name: string;
  status: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface DrillOptions {
  sim: SimAccount;
  /** The project folder: template.yaml, events/ and scenarios are read from it. */
  root: string;
  templatePath?: string;
  verbose?: boolean;
}

/** The scenario files of a folder, by name. */
export function scenarioFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Waits until the account is quiet: every event delivered, every asynchronous function invocation
 * finished, and every execution finished or parked on a Wait state that only simulated time can end.
 * The deadline only catches an account that never settles: retries pass in wall-clock time, so a
 * loaded machine needs a generous one.
 */
export async function settle(sim: SimServer, timeoutMs = 120_000): Promise<void> {
  const events = sim.service<EventsService>('events');
  const sfn = sim.service<SfnService>('states');
  const lambda = sim.service<LambdaService>('lambda');
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  while (quietRounds < 2) {
    if (Date.now() > deadline) throw new Error(`the account did not settle within ${timeoutMs} ms`);
    await events.settled();
    await lambda.settled();
    quietRounds = sfn.isQuiet() && lambda.isQuiet() ? quietRounds + 1 : 0;
    await sleep(quietRounds ? 2 : 5);
  }
}

/**
 * Moves simulated time forward by ms one due timer at a time, letting the account settle after each:
 * what a timer starts (a retry, a scheduled sweep) runs at its own time, before later timers fire.
 */
export async function advanceStepwise(sim: SimServer, ms: number): Promise<void> {
  const target = sim.clock.now() + ms;
  for (let due = sim.clock.nextDue(); due !== undefined && due <= target; due = sim.clock.nextDue()) {
    sim.clock.advance(Math.max(0, due - sim.clock.now()));
    await settle(sim);
  }
  sim.clock.advance(target - sim.clock.now());
}

/**
 * The drill's vendor, for a template that declares these parameters: its DNS server is the sim's (on
 * a port chosen at start), and its network is 10.200.0.0/16, which every scenario's topology routes
 * through the gateways unless the scenario sets VendorCidrs. DNS lookups get 5 s per try instead of
 * the default 1 s: the vendor's server answers from this process, which a loaded machine starves for
 * seconds at a time, and c-ares declares a timeout when its timer runs before it reads an answer that
 * has arrived.
 */
function drillVendor(sim: SimAccount, templatePath: string): Record<string, string> {
  const parameters = (readCfnTemplate(templatePath).Parameters ?? {}) as Record<string, unknown>;
  return {
    ...('VendorDnsTargets' in parameters ? { VendorDnsTargets: sim.dns.servers().join(',') } : {}),
    ...('VendorCidrs' in parameters ? { VendorCidrs: '10.200.0.0/16' } : {}),
    ...('ResolverDnsTimeoutMs' in parameters ? { ResolverDnsTimeoutMs: '5000' } : {}),
  };
}

/**
 * An implicit expectation of every scenario that does not itself expect failed executions: no
 * execution failed, timed out or was aborted. A failure names the state machine, the error and the
 * handler file whose function threw it.
 */
function unexpectedFailures(world: DrillWorld): ExpectationResult {
  const sfn = world.sim.service<SfnService>('states');
  const lambda = world.sim.service<LambdaService>('lambda');
  const failed = sfn.executionsWith((e) => e.status !== 'SUCCEEDED' && e.status !== 'RUNNING');
  const thrown = lambda.invocations.filter(
    (i) => 'error' in i.outcome && !EXPECTED_ERRORS.has(i.outcome.error.errorType),
  );
  const details = [
    ...failed.map((e) => `execution ${e.name} ${e.status}: ${e.error ?? ''} ${(e.cause ?? '').slice(0, 160)}`),
    ...thrown.map((i) => {
      const error = (i.outcome as { error: { errorType: string; errorMessage: string } }).error;
      const entry = world.stack.entryPoints[world.stack.functionLogicalIds[i.functionName] ?? ''] ?? i.functionName;
      return `${error.errorType} thrown by ${entry}: ${error.errorMessage.slice(0, 160)}`;
    }),
  ];
  return {
    ok: details.length === 0,
    expected: 'no execution failed and no handler threw unexpectedly',
    actual: details.join('; ') || 'none',
  };
}

/** Errors the product throws on purpose, for its state machines' Retry and Catch. */
const EXPECTED_ERRORS = new Set([
  'LeaseHeldError',
  'LeaseLostError',
  'RetryableAwsError',
  'ActionFailedError',
  'InvalidInputError',
]);

/** Plays one scenario on a freshly reset account with the template deployed, and checks its expectations. */
export async function runScenario(scenario: Scenario, options: DrillOptions): Promise<ScenarioResult> {
  const { sim, root } = options;
  await sim.reset();
  const upstream = sim.upstreamServices.length > 0;
  const startedAt = sim.clock.now();
  const templatePath = options.templatePath ?? resolve(root, 'template.yaml');
  // Parameters that name topology ids ({{vpc.app}}, {{endpoint.outbound}}) need the topology built first.
  const topology = new Topology(sim);
  const early = JSON.stringify(scenario.parameters).includes('{{');
  const result: ScenarioResult = {
    name: scenario.name,
    file: scenario.file,
    description: scenario.description,
    ok: false,
    expectations: [],
    timeline: [],
    executions: 0,
    awsCalls: 0,
    simulatedMs: 0,
    outputs: [],
    why: [],
  };
  let buildError: unknown;
  if (early) {
    await topology.build(topology.fill(scenario.topology)).catch((err: unknown) => (buildError = err ?? 'failed'));
  }
  if (buildError !== undefined) {
    // The topology's own error, not the later failure to fill parameters with ids it never got.
    result.error = `building the topology: ${buildError instanceof Error ? buildError.message : String(buildError)}`;
    if (upstream) await topology.cleanup();
    return result;
  }
  // Another endpoint is not reset between scenarios: each deployment gets its own names there.
  const stackName = upstream ? `cgw-autopilot-${topology.runId}` : undefined;
  const stack: DeployedStack = await deployTemplate({
    templatePath,
    sim,
    ...(stackName ? { stackName } : {}),
    parameterOverrides: {
      ...drillVendor(sim, templatePath),
      ...(early ? topology.fill(scenario.parameters) : scenario.parameters),
    },
  });
  const world = new DrillWorld(sim, stack, root, topology);
  sim.service<SfnService>('states').retryTime = scenario.retryTime;
  const cursor = new TimelineCursor(sim);
  try {
    if (!early) await world.build(world.fill(scenario.topology));
    await settle(sim);
    const built = Object.values(world.names).reduce((n, ids) => n + Object.keys(ids).length, 0);
    result.timeline.push(
      await collectTimeline(world, cursor, `topology built (${built} resources)`, options.verbose ?? false),
    );
    const initialRoutes: Record<string, unknown[]> = {};
    for (const [name, id] of Object.entries(world.names.routeTable)) {
      const { RouteTables } = await world.call('ec2:DescribeRouteTables', { RouteTableIds: [id] });
      initialRoutes[name] = RouteTables[0].Routes;
    }
    const since = sim.log.mark();
    for (const [index, step] of scenario.steps.entries()) {
      let what: string;
      try {
        if ('advance' in step && scenario.retryTime === 'simulated') {
          await advanceStepwise(sim, durationMs(step.advance));
          what = `time advanced ${step.advance} to ${sim.clock.iso()}, timer by timer`;
        } else what = await world.step(step);
      } catch (err) {
        throw new Error(`${stepWhere(scenario, index)}: ${err instanceof Error ? err.message : String(err)}`);
      }
      await settle(sim);
      result.timeline.push(await collectTimeline(world, cursor, what, options.verbose ?? false));
    }
    for (const exp of scenario.expect)
      result.expectations.push(await checkExpectation(world.fill(exp), { world, since, initialRoutes }));
    const expectsFailures = scenario.expect.some(
      (e) => 'executions' in e && e.executions.status && e.executions.status !== 'SUCCEEDED',
    );
    if (!expectsFailures) result.expectations.push(unexpectedFailures(world));
    result.ok = result.expectations.every((e) => e.ok);
    result.awsCalls = sim.log.all({ since, product: true }).length;
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    result.ok = false;
  }
  result.outputs = await executionOutputs(world).catch(() => []);
  if (!result.ok) result.why = lastDecisions(result.outputs);
  result.executions = cursor.executionCount;
  result.simulatedMs = sim.clock.now() - startedAt;
  // What the scenario made on another endpoint would still be there for the next one (the product
  // finds its tables, instances and rules by tag): it is removed, best effort.
  if (upstream) await world.cleanup();
  return result;
}

/** Every execution of the stack's state machines, oldest first, with its output. */
async function executionOutputs(world: DrillWorld): Promise<ExecutionOutput[]> {
  const outputs: ExecutionOutput[] = [];
  for (const [logicalId, arn] of Object.entries(world.stack.physical)) {
    if (!arn.includes(':stateMachine:')) continue;
    const { executions } = await world.call('sfn:ListExecutions', { stateMachineArn: arn, maxResults: 1000 });
    for (const e of [...executions].reverse()) {
      const d = await world.call('sfn:DescribeExecution', { executionArn: e.executionArn });
      outputs.push({
        stateMachine: logicalId,
        name: d.name,
        status: d.status,
        ...(d.output !== undefined ? { output: JSON.parse(d.output) } : {}),
        ...(d.error ? { error: d.error } : {}),
        ...(d.cause ? { cause: d.cause } : {}),
      });
    }
  }
  return outputs;
}

/** How each state machine's last execution ended, with the decision's reason: why the routes are where they are. */
function lastDecisions(outputs: ExecutionOutput[]): string[] {
  const last = new Map<string, ExecutionOutput>();
  for (const o of outputs) last.set(o.stateMachine, o);
  return [...last.values()].map((o) => {
    const out = o.output as { result?: string; decision?: { reason?: string } | null; reason?: string } | undefined;
    if (o.status !== 'SUCCEEDED')
      return `${o.stateMachine} ${o.name}: ${o.status} ${o.error ?? ''} ${o.cause ?? ''}`.trimEnd();
    const reason = out?.decision?.reason ?? out?.reason;
    return `${o.stateMachine} ${o.name}: ${out?.result ?? 'SUCCEEDED'}${reason ? `: ${reason}` : ''}`;
  });
}

export { readScenario };
