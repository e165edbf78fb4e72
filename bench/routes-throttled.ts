import { setTimeout as sleep } from 'node:timers/promises';
import { settle } from '../sim/drill/runner.js';
import type { SimAccount } from '../sim/index.js';
import { ec2ThrottlePolicy } from '../sim/services/ec2/throttle.js';
import type { LambdaService } from '../sim/services/lambda/service.js';
import type { SfnService } from '../sim/services/sfn/service.js';
import { executionArns, executionsSince, isMain, routeWorld, spread, table } from './routes-world.js';

/**
 * Failover of 500 managed route tables with EC2's documented request token buckets on
 * (sim/services/ec2/throttle.ts: ReplaceRoute is a mutating action, its own bucket of 50 tokens
 * refilled at 5 per second) and no injected latency. Apply writes 40 routes at once, so after the
 * first 50 every ReplaceRoute waits for a token: no run can finish its routes sooner than
 * (500 - 50) / 5 = 90 s after the first one. Question: does it converge with no failed action, in
 * how long, after how many RequestLimitExceeded answers?
 *
 * Retry waits, as in AWS: the SDK's own retries inside the function (maxAttempts 4, standard mode,
 * one client per execution environment) are wall-clock time; actions still throttled after them come
 * back pending and the ASL's WaitToRetry state waits the function's delay (exponential from 2 s, full
 * jitter, at most 30 s, 10 attempts) before ApplyAgain. The simulated clock follows wall time in this
 * bench, so those Wait states last what they say while the buckets refill in wall-clock time; the
 * ASL's own Retry of Lambda errors waits as the definition says too (the SfnService's retryDelayScale
 * set to 1: startSim builds it with 0.001).
 */

const TABLES = 500;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RETRY_DELAY_SCALE = 1;
const bucket = ec2ThrottlePolicy.buckets.ReplaceRoute!;

interface ThrottledRun {
  wallToLastRouteMs: number;
  wallToDoneMs: number;
  replaceOk: number;
  throttled: Record<string, number>;
  calls: number;
  /** RouteApply invocations (one per ASL attempt) and how many of them threw. */
  applyInvocations: number;
  applyErrors: number;
  status: string;
  result: string;
  applied: number;
  failed: number;
  actions: number;
  converged: boolean | null;
}

/** Settles, then waits while an execution is still running (parked on a Wait that wall time ends). */
async function untilFinished(sim: SimAccount): Promise<void> {
  const sfn = sim.service<SfnService>('states');
  const deadline = Date.now() + 900_000;
  for (;;) {
    await settle(sim, 900_000);
    if (sfn.executionsWith((e) => e.status === 'RUNNING').length === 0) return;
    if (Date.now() > deadline) throw new Error('an execution was still running after 900 s');
    await sleep(200);
  }
}

async function measure(): Promise<ThrottledRun> {
  const rw = await routeWorld(TABLES);
  const { sim, world } = rw;
  try {
    // SfnService keeps the factor in a private field that each StartExecution copies into the new execution.
    (sim.service<SfnService>('states') as unknown as { retryDelayScale: number }).retryDelayScale = RETRY_DELAY_SCALE;
    sim.faults.throttle(ec2ThrottlePolicy);
    const before = new Set(await executionArns(rw));
    const lambda = sim.service<LambdaService>('lambda');
    const invocationsBefore = lambda.invocations.length;
    const since = sim.log.mark();
    const stopFollowing = sim.clock.followWallTime();
    try {
      await world.step({ terminate: 'cgw-a' });
      await untilFinished(sim);
    } finally {
      stopFollowing();
    }
    const terminate = sim.log
      .all({ since, service: 'ec2', action: 'TerminateInstances' })
      .find((r) => r.byDrill && r.outcome === 'ok');
    if (!terminate) throw new Error('no TerminateInstances call in the log');
    const product = sim.log.all({ since, product: true }).filter((r) => r.start >= terminate.end);
    const ec2 = product.filter((r) => r.service === 'ec2');
    const replaces = ec2.filter((r) => r.action === 'ReplaceRoute' && r.outcome === 'ok');
    const throttled: Record<string, number> = {};
    for (const r of ec2) if (r.injected === 'throttle') throttled[r.action] = (throttled[r.action] ?? 0) + 1;
    const executions = await executionsSince(rw, before);
    const applies = lambda.invocations.slice(invocationsBefore).filter((i) => i.functionName.includes('RouteApply'));
    const main = executions.find((e) => e.actions > 0) ?? executions[0];
    if (!main) throw new Error('the termination started no execution');
    return {
      wallToLastRouteMs: Math.max(...replaces.map((r) => r.end)) - terminate.end,
      wallToDoneMs: Math.max(...product.map((r) => r.end)) - terminate.end,
      replaceOk: replaces.length,
      throttled,
      calls: ec2.length,
      applyInvocations: applies.length,
      applyErrors: applies.filter((i) => 'error' in i.outcome).length,
      status: main.status,
      result: main.result,
      applied: main.applied,
      failed: main.failed,
      actions: main.actions,
      converged: main.converged,
    };
  } finally {
    await sim.stop();
  }
}

export async function run(): Promise<string> {
  const runs: ThrottledRun[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measure());
  const floorS = (TABLES - bucket.capacity) / bucket.refillPerSecond;
  const rows = runs.map((r, i) => [
    String(i + 1),
    `${r.status} ${r.result}`,
    `${r.applied}/${r.actions}`,
    String(r.failed),
    String(r.converged),
    String(r.replaceOk),
    (r.wallToLastRouteMs / 1000).toFixed(1),
    (r.wallToDoneMs / 1000).toFixed(1),
    String(r.throttled.ReplaceRoute ?? 0),
    String(Object.values(r.throttled).reduce((a, b) => a + b, 0)),
    String(r.calls),
    `${r.applyInvocations} (${r.applyErrors} threw)`,
  ]);
  return [
    `${TABLES} managed tables, failover with EC2 throttling buckets on (ReplaceRoute bucket ${bucket.capacity} tokens, ${bucket.refillPerSecond}/s), no injected latency; WaitToRetry and the ASL's Retry wait in wall-clock time, as the definition and the function give them (backoff, jitter)`,
    table(
      [
        'run',
        'execution',
        'applied',
        'failed',
        'converged',
        'ReplaceRoute ok',
        's event->last route',
        's event->done',
        'RequestLimitExceeded (ReplaceRoute)',
        '(all EC2)',
        'EC2 calls',
        'RouteApply invocations (attempts)',
      ],
      rows,
    ),
    `min / median / max: event->last route ${spread(
      runs.map((r) => r.wallToLastRouteMs / 1000),
      1,
    )} s; RequestLimitExceeded ${spread(runs.map((r) => Object.values(r.throttled).reduce((a, b) => a + b, 0)))}`,
    `floor set by the bucket's refill: (${TABLES} - ${bucket.capacity}) / ${bucket.refillPerSecond} per s = ${floorS.toFixed(0)} s`,
  ].join('\n');
}

if (isMain(import.meta.url)) console.log(await run());
