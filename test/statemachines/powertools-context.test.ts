import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DeployedStack, deployTemplate } from '../../sim/deploy/deploy.js';
import { settle } from '../../sim/drill/runner.js';
import { DrillWorld } from '../../sim/drill/world.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { InvocationRecord, LambdaService } from '../../sim/services/lambda/service.js';
import { gatewayPair } from '../support/gateway-pair.js';
import { runExecution } from './run-execution.js';

const root = resolve(import.meta.dirname, '../..');
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));

/** The Powertools log lines (JSON with a level) of one invocation's log stream. */
const logLines = (invocation: InvocationRecord): Record<string, unknown>[] =>
  invocation.logs.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const doc = JSON.parse(line) as Record<string, unknown>;
    return typeof doc.level === 'string' ? [doc] : [];
  });

describe('Powertools on the simulated account: log context, cold starts, Tracer without X-Ray', () => {
  let sim: SimAccount;
  let stack: DeployedStack;
  let world: DrillWorld;
  const lambda = () => sim.service<LambdaService>('lambda');
  const functionName = (logicalId: string) => stack.resources.find((r) => r.logicalId === logicalId)?.physicalId;

  // What the functions write through console (the X-Ray SDK's logger) while the suite runs.
  const consoleLines: string[] = [];

  beforeAll(async () => {
    for (const level of ['error', 'warn'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        consoleLines.push(args.map(String).join(' '));
      });
    }
    sim = await startSim();
    stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: { VendorCidrs: '10.200.0.0/16', AgentStaleAfterSeconds: '86400' },
    });
    world = new DrillWorld(sim, stack, root);
    await world.build(gatewayPair('10.200.0.0/16'));
    for (const gateway of ['cgw-a', 'cgw-b']) {
      await world.step({
        putEvent: {
          sample: 'events/agent-tunnels-up.json',
          set: { id: `${gateway}-up`, 'detail.instanceId': `{{instance.${gateway}}}`, 'detail.reportedAt': '{{now}}' },
        },
      });
      await settle(sim);
    }
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await sim.stop();
  });

  it('puts the Lambda request id, execution id, state name and group on every line of every state', async () => {
    // Prepare
    const from = lambda().invocations.length;

    // Act
    const run = await runExecution(world, 'RouteReconcilerStateMachine', sample('manual-failover.json'));

    // Assess
    expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    const executionId = run.described.executionArn;
    const invocations = lambda().invocations.slice(from);
    const stateOf = (invocation: InvocationRecord): string | undefined => {
      if (invocation.functionName === functionName('RouteIntakeFunction')) return 'Intake';
      if (invocation.functionName === functionName('RouteDecideFunction')) {
        return (invocation.payload as { confirming: boolean }).confirming ? 'Confirm' : 'Decide';
      }
      if (invocation.functionName === functionName('RouteApplyFunction')) {
        return ((invocation.payload as { attempt?: number }).attempt ?? 1) > 1 ? 'ApplyAgain' : 'Apply';
      }
      return 'Report';
    };
    const logged = new Set<string>();
    for (const invocation of invocations) {
      for (const line of logLines(invocation)) {
        logged.add(invocation.functionName);
        expect(line).toMatchObject({
          function_request_id: invocation.requestId,
          function_name: invocation.functionName,
          executionId,
          group: 'vendor-vpn',
          service: 'cgw-autopilot',
        });
        expect(line.state).toBe(stateOf(invocation));
      }
    }
    // Decide, Apply and Report each log at least one line in a failover; an empty set would prove nothing.
    expect([...logged].sort()).toEqual(
      ['RouteDecideFunction', 'RouteApplyFunction', 'RouteReportFunction'].map(functionName).sort(),
    );
    // The step context is taken off the event before the handler sees it: the handlers' answers are as before.
    expect(run.output).toMatchObject({ result: 'converged', decision: { outcome: 'switched' } });
  });

  it('tags the intake state too, and leaves no key of one invocation on the next', async () => {
    // Prepare: the same agent report twice; the second is a replay, which the intake logs.
    const event = {
      ...sample('agent-tunnels-up.json'),
      id: 'replayed-report',
      detail: {
        ...(sample('agent-tunnels-up.json').detail as object),
        instanceId: world.ref('instance', 'cgw-b'),
        reportedAt: new Date(sim.clock.now()).toISOString(),
        sequence: 99,
      },
    };
    await runExecution(world, 'RouteReconcilerStateMachine', event);
    const from = lambda().invocations.length;

    // Act
    const run = await runExecution(world, 'RouteReconcilerStateMachine', event);

    // Assess
    const intake = lambda()
      .invocations.slice(from)
      .filter((i) => i.functionName === functionName('RouteIntakeFunction'));
    const lines = intake.flatMap(logLines);
    expect(lines.map((l) => l.message)).toEqual(['replayed event ignored']);
    expect(lines[0]).toMatchObject({
      executionId: run.described.executionArn,
      state: 'Intake',
      group: 'vendor-vpn',
      function_request_id: intake[0]?.requestId,
    });
    // A direct invocation (no state machine) carries no execution of a previous one.
    const direct = await lambda().invoke(functionName('RouteIntakeFunction')!, { input: event });
    expect(direct.functionError).toBeUndefined();
    const last = lambda().invocations.at(-1)!;
    expect(logLines(last)).toEqual([
      expect.not.objectContaining({ executionId: expect.anything(), state: expect.anything() }),
    ]);
    expect(logLines(last)[0]).toMatchObject({ group: 'vendor-vpn', function_request_id: last.requestId });
  });

  it('counts a cold start only when an execution environment starts, named by function', async () => {
    // Prepare
    const coldStarts = () => lambda().metrics.filter((m) => m.name === 'ColdStart');
    const intake = functionName('RouteIntakeFunction')!;
    const before = coldStarts().length;

    // Act: the account is quiet, so this invocation finds an idle (warm) environment.
    await lambda().invoke(intake, { input: sample('scheduled-sweep.json') });

    // Assess
    expect(coldStarts()).toHaveLength(before);
    const intakeColdStarts = coldStarts().filter((m) => m.dimensions.function_name === intake);
    const intakeInvocations = lambda().invocations.filter((i) => i.functionName === intake);
    expect(intakeColdStarts.length).toBeGreaterThan(0);
    expect(intakeColdStarts.length).toBeLessThan(intakeInvocations.length);
    expect(intakeColdStarts[0]).toMatchObject({ namespace: 'CgwAutopilot', value: 1, unit: 'Count' });
    for (const invocation of lambda().invocations) {
      expect(invocation.logs.filter((l) => l.includes('"ColdStart"')).length).toBeLessThanOrEqual(1);
    }
    for (const logicalId of ['RouteDecideFunction', 'RouteApplyFunction', 'RouteReportFunction']) {
      expect(coldStarts().some((m) => m.dimensions.function_name === functionName(logicalId))).toBe(true);
    }
  });

  it('runs the functions with Tracer on (a Lambda environment) and no X-Ray: every call goes through, nothing warns', () => {
    // Assess: the simulated Lambda sets AWS_EXECUTION_ENV, so Tracer is enabled and captures the SDK clients;
    // there is no trace header, so no segment: the X-Ray middleware passes the calls through silently.
    const all = lambda().invocations;
    // Runs started side by side by the topology's events meet each other's lease: that is the product's answer.
    const errors = all.flatMap((i) => ('error' in i.outcome ? [i.outcome.error.errorType] : []));
    expect(errors.filter((e) => e !== 'LeaseHeldError')).toEqual([]);
    const lines = [...all.flatMap((i) => i.logs), ...consoleLines];
    expect(lines.filter((l) => /segment|x-?ray/i.test(l))).toEqual([]);
    // The X-Ray SDK of the functions' bundles (one copy per execution environment, all in this process)
    // registered no context namespace, so none left an async hook behind in the process.
    expect((process as { namespaces?: Record<string, unknown> }).namespaces?.AWSXRay).toBeUndefined();
    expect(lines.some((l) => /No application metrics to publish/.test(l))).toBe(false);
  });
});
