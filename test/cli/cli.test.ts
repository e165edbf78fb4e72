import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.js';
import { COMMANDS } from '../../cli/commands/index.js';
import { EXIT } from '../../cli/errors.js';
import { executionName } from '../../cli/executions.js';
import { exitCodeOf } from '../../cli/report.js';
import { readSamDefaults } from '../../cli/samconfig.js';
import { settle } from '../../sim/drill/runner.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import { deployLocalStack, type LocalStack } from '../../sim/local-stack.js';
import { type CliRun, cliInProcess } from '../support/cli.js';

const root = resolve(import.meta.dirname, '../..');

/** The CLI in this process, as `cgw-autopilot ARGS` from the project folder. */
const cli = (...args: string[]) => cliInProcess(args);

// Generous per-test deadlines: each test runs executions on a machine that may be loaded.
describe('cgw-autopilot against the local stack', { timeout: 180_000 }, () => {
  let sim: SimAccount;
  let local: LocalStack;
  let endpoint: string;
  const on = (...args: string[]) => cli('--endpoint', endpoint, ...args);
  const eniOf = (name: string) => local.world.names.eni[name]!;
  const instanceOf = (name: string) => local.world.names.instance[name]!;
  async function routeTargets(): Promise<string[]> {
    const { RouteTables } = await local.world.call('ec2:DescribeRouteTables', {
      RouteTableIds: Object.values(local.world.names.routeTable),
    });
    return RouteTables.map(
      (t: { Routes: { DestinationCidrBlock?: string; NetworkInterfaceId?: string }[] }) =>
        t.Routes.find((r) => r.DestinationCidrBlock === '10.200.0.0/16')?.NetworkInterfaceId,
    );
  }

  beforeAll(async () => {
    sim = await startSim();
    local = await deployLocalStack(sim, { root, heartbeatSeconds: 0 });
    endpoint = sim.endpoint;
  }, 240_000);
  afterAll(async () => {
    local?.stop();
    await sim?.stop();
  });

  it('status shows members, verdicts, agent report age, the active gateway, lease, routes and resolver chains', async () => {
    // Act
    const text = await on('status');
    const json = await on('status', '--json');

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`active gateway: ${instanceOf('cgw-a')}`);
    expect(text.stdout).toMatch(
      new RegExp(`\\* ${instanceOf('cgw-a')} running priority 1: healthy; agent report 0 s old`),
    );
    expect(text.stdout).toContain('lease: free');
    expect(text.stdout).toContain('db.vendor.example: db.vendor.example -> ip-10-200-1-10.vendor.internal');
    const status = JSON.parse(json.stdout);
    expect(status.members.map((m: { verdict: string }) => m.verdict)).toEqual(['healthy', 'healthy']);
    expect(status.routes).toHaveLength(2);
    for (const route of status.routes)
      expect(route).toMatchObject({ state: 'active', target: eniOf('cgw-a'), problem: null });
    expect(status.resolver.rules.length).toBeGreaterThanOrEqual(2);
  });

  it('plan failover prints each action with before and after and the blast radius, and changes nothing', async () => {
    // Act
    const run = await on('plan', 'failover');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('result: dry-run');
    expect(run.stdout).toContain('actions: 2 (change limit 20); blast radius: 2 route tables');
    expect(run.stdout).toContain(`(active) -> ${eniOf('cgw-b')} (${instanceOf('cgw-b')})  [planned]`);
    expect(await routeTargets()).toEqual([eniOf('cgw-a'), eniOf('cgw-a')]);
  });

  it('failover is started with a readable name and followed from start to end', async () => {
    // Act
    const run = await on('failover', '--reason', 'patching cgw-a');

    // Assess
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^started failover-\d{8}T\d{9}Z$/);
    const order = ['  Intake', '  Decide', '  Apply', '  Apply: 2 of 2 actions applied', '  Report', '  succeeded'];
    const positions = order.map((line) => lines.indexOf(line));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(run.stdout).toContain('result: converged');
    expect(run.stdout).toContain('verification: converged');
    expect(await routeTargets()).toEqual([eniOf('cgw-b'), eniOf('cgw-b')]);
  });

  it('history lists the recent executions with trigger, outcome and changes', async () => {
    // Act
    const run = await on('history', '--limit', '2', '--json');

    // Assess
    expect(run.code).toBe(0);
    const { executions } = JSON.parse(run.stdout);
    expect(executions).toHaveLength(2);
    expect(executions[0]).toMatchObject({ status: 'SUCCEEDED', changes: 2 });
    expect(executions[0].name).toMatch(/^failover-/);
    expect(executions[0].trigger).toMatch(/^failover by .* via cgw-autopilot$/);
    expect(executions[0].outcome).toMatch(/^converged: operator failover/);
    expect(executions[1].name).toMatch(/^plan-failover-/);
  });

  it('follow reads an execution by name and reports its outcome', async () => {
    // Arrange
    const { executions } = JSON.parse((await on('history', '--limit', '1', '--json')).stdout);

    // Act
    const run = await on('follow', executions[0].name, '--json');

    // Assess
    expect(run.code).toBe(0);
    const followed = JSON.parse(run.stdout);
    expect(followed.status).toBe('SUCCEEDED');
    expect(followed.output.result).toBe('converged');
    expect(followed.progress).toContain('  Apply: 2 of 2 actions applied');
  });

  it('failback, repair, sweep and rules reconcile run and end with exit 0', async () => {
    // Act
    const failback = await on('failback');
    const repair = await on('repair');
    const sweep = await on('sweep');
    const rules = await on('rules', 'reconcile', '--dry-run');
    const rulesApplied = await on('rules', 'reconcile', '--reason', 'vendor moved nothing');
    const planFailback = await on('plan', 'failback');

    // Assess
    expect(failback.code).toBe(0);
    expect(failback.stdout).toContain(`active gateway: ${instanceOf('cgw-b')} -> ${instanceOf('cgw-a')}`);
    expect(await routeTargets()).toEqual([eniOf('cgw-a'), eniOf('cgw-a')]);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain('result: no-change');
    expect(sweep.code).toBe(0);
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/^plan-rules-reconcile-\d{8}T\d{9}Z: SUCCEEDED$/m);
    expect(rulesApplied.code).toBe(0);
    expect(rulesApplied.stdout).toMatch(/^result: (no-change|converged); \d+ actions$/m);
    expect(planFailback.code).toBe(0);
    expect(planFailback.stdout).toContain('result: dry-run');
  });

  it('--override-blast-radius is refused (exit 2) until a plan of the same operation was made', async () => {
    // Act
    const before = sim.log.all().length;
    const refused = await on('repair', '--override-blast-radius');
    const plan = await on('plan', 'repair');
    const allowed = await on('repair', '--override-blast-radius');

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'cgw-autopilot: --override-blast-radius needs a plan of the same operation in the last hour: run cgw-autopilot plan repair and review it first\n',
    );
    expect(sim.log.all({ since: before }).filter((r) => r.action === 'StartExecution')).toHaveLength(2);
    expect(plan.code).toBe(0);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^override after plan plan-repair-/m);
  });

  it('exits 3 when another execution holds the lease', async () => {
    // Arrange: a live lease of another execution on the group's record.
    const expires = Math.floor(sim.clock.now() / 1000) + 3600;
    await local.world.call('dynamodb:UpdateItem', {
      TableName: local.stack.outputs.StateTableName,
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
      UpdateExpression: 'SET leaseOwner = :o, leaseExpiresAt = :e',
      ExpressionAttributeValues: {
        ':o': { S: 'arn:aws:states:eu-west-2:123456789012:execution:x:other' },
        ':e': { N: String(expires) },
      },
    });

    // Act
    const status = await on('status');
    const run = await on('failover', '--json');

    // Assess
    expect(status.stdout).toContain('lease: held by other until');
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout).output.result).toBe('busy');
    await local.world.call('dynamodb:UpdateItem', {
      TableName: local.stack.outputs.StateTableName,
      Key: { pk: { S: 'group#vendor-vpn' }, sk: { S: 'state' } },
      UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
    });
  });

  it('exits 4 when no other member is healthy to fail over to, and status says so', async () => {
    // Arrange
    await local.world.call('ec2:StopInstances', { InstanceIds: [instanceOf('cgw-b')] });
    sim.clock.advance(60_000);

    // Act
    const run = await on('failover');
    const plan = await on('plan', 'failover', '--to', instanceOf('cgw-b'));

    // Assess
    expect(run.code).toBe(4);
    expect(run.stdout).toContain(`decision: refused: failover: no healthy member other than ${instanceOf('cgw-a')}`);
    expect(plan.code).toBe(4);
    expect(plan.stdout).toMatch(/is not healthy/);
  });

  it('without --json a usage error is one line on stderr; with --json stdout is one JSON document', async () => {
    // Act
    const text = await on('failover', '--to', 'i-nothex');
    const json = await on('failover', '--to', 'i-nothex', '--json');

    // Assess
    expect(text).toEqual({
      code: 2,
      stdout: '',
      stderr: 'cgw-autopilot: --to i-nothex is not an instance id (i- and 8 or 17 hex digits)\n',
    });
    expect(JSON.parse(json.stdout)).toEqual({
      error: '--to i-nothex is not an instance id (i- and 8 or 17 hex digits)',
      exitCode: 2,
    });
  });

  it('a missing stack, a stack that is not ours and an unknown execution are exit 2 with one line', async () => {
    // Act
    const missing = await on('--stack', 'other-stack', 'status');
    const execution = await on('follow', 'no-such-execution');

    // Assess
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe(
      `cgw-autopilot: no stack named other-stack at ${endpoint} (name from --stack; pass --stack NAME)\n`,
    );
    expect(execution.code).toBe(2);
    expect(execution.stderr).toBe('cgw-autopilot: no execution named no-such-execution in stack cgw-autopilot\n');
  });

  it('validates every argument before any AWS call', async () => {
    // Arrange
    const before = sim.log.all().length;
    const bad: [string[], string][] = [
      [['stauts'], "unknown command 'stauts' (did you mean status?); run cgw-autopilot --help for the commands"],
      [['plan'], 'plan needs one of: repair, failover, failback'],
      [
        ['plan', 'failovr'],
        "unknown plan command 'failovr' (did you mean failover?); one of: repair, failover, failback",
      ],
      [['rules'], 'rules needs one of: reconcile'],
      [['failover', '--too', 'i-0123456789abcdef0'], 'unknown flag --too for failover (did you mean --to?)'],
      [['repair', '--to', 'i-0123456789abcdef0'], 'unknown flag --to for repair'],
      [['history', '--limit', '0'], '--limit 0 is not a whole number from 1 to 100'],
      [['history', '--limit'], '--limit needs a value (N)'],
      [['status', 'extra'], "status takes no argument, got 'extra'"],
      [['follow'], 'follow needs an execution name or ARN'],
      [['follow', 'a b'], 'a b is not an execution name or a Step Functions execution ARN'],
      [['status', '--region', 'Europe'], '--region Europe is not an AWS region name such as eu-west-2'],
      [['status', '--stack', '1bad'], '--stack 1bad is not a stack name or ARN'],
      [['status', '-x'], 'unknown flag -x; flags are written --name'],
      [['status', '--json=yes'], '--json takes no value'],
      [['failover', '--reason', 'x'.repeat(1001)], '--reason is 1001 characters; at most 1000'],
    ];

    // Act
    const runs = await Promise.all([
      ...bad.map(([args]) => on(...args)),
      cli('status', '--endpoint', 'localhost:4566'),
    ]);
    bad.push([[], '--endpoint localhost:4566 must be an http:// or https:// URL']);

    // Assess
    runs.forEach((run, i) => {
      expect(run).toEqual({ code: 2, stdout: '', stderr: `cgw-autopilot: ${bad[i]![1]}\n` });
    });
    expect(sim.log.all().length).toBe(before);
  });

  it('an endpoint where nothing answers is exit 2 naming it', async () => {
    // Act
    const run = await cli('--endpoint', 'http://127.0.0.1:9', 'status');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'cgw-autopilot: cannot read stack cgw-autopilot at http://127.0.0.1:9: nothing answers at http://127.0.0.1:9 (is `npm run sim` running?)\n',
    );
  });

  it('--help lists every command and the exit codes; COMMAND --help its flags', async () => {
    // Act
    const help = await cli('--help');
    const failover = await cli('failover', '--help');
    const none = await cli();

    // Assess
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toContain(command.words.join(' '));
    expect(help.stdout).toContain('exit codes: 0 done, 1 an action failed, 2 usage or configuration error');
    expect(failover.stdout).toContain('--to INSTANCE');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: cgw-autopilot COMMAND [flags]');
    expect(JSON.parse((await cli('--json')).stdout)).toEqual({
      error: 'a command is needed; run cgw-autopilot --help for the commands',
      exitCode: 2,
    });
    expect(JSON.parse((await cli('status', '--help', '--json')).stdout).usage).toContain('usage: cgw-autopilot status');
  });
});

describe('cgw-autopilot as a command (bin) on a pipe', { timeout: 240_000 }, () => {
  let sim: SimAccount;
  let local: LocalStack;

  beforeAll(async () => {
    sim = await startSim();
    local = await deployLocalStack(sim, { root, heartbeatSeconds: 0 });
    // Enough executions for a history far over a pipe's 64 KiB buffer.
    for (let i = 0; i < 40; i++) {
      await local.world.call('sfn:StartExecution', {
        stateMachineArn: local.stack.outputs.RouteReconcilerArn,
        input: JSON.stringify({ operation: 'failover', dryRun: true }),
      });
    }
    await settle(sim, 200_000);
  }, 240_000);
  afterAll(async () => {
    local?.stop();
    await sim?.stop();
  });

  it('writes --json completely before it exits, and exits with the command code', async () => {
    // Act
    const run = await new Promise<CliRun>((done) => {
      execFile(
        process.execPath,
        [resolve(root, 'cli/bin.mjs'), '--endpoint', sim.endpoint, 'history', '--limit', '40', '--json'],
        { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 230_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(65_536);
    expect(JSON.parse(run.stdout).executions).toHaveLength(40);
  });

  it('runs from its bundle, as an installed package does without tsx', async () => {
    // Arrange
    const build = await new Promise<CliRun>((done) => {
      execFile(
        process.execPath,
        [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build-cli.ts'],
        { cwd: root, timeout: 230_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

    // Act
    const run = await new Promise<CliRun>((done) => {
      execFile(
        process.execPath,
        [resolve(root, 'dist/cli/cgw-autopilot.mjs'), '--endpoint', sim.endpoint, 'status', '--json'],
        { cwd: root, timeout: 230_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

    // Assess
    expect(build.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).members).toHaveLength(2);
  });
});

describe('cgw-autopilot pure parts', () => {
  it('reads stack_name and region from samconfig.toml, deploy section first', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'samconfig-'));
    writeFileSync(
      join(dir, 'samconfig.toml'),
      [
        'version = 0.1',
        '[default.global.parameters]',
        'stack_name = "global-name"',
        'region = "eu-west-1"',
        '[default.deploy.parameters]',
        'stack_name = "deploy-name" # the one sam deploy uses',
      ].join('\n'),
    );

    // Act
    const defaults = readSamDefaults(dir);

    // Assess
    expect(defaults).toEqual({ stackName: 'deploy-name', region: 'eu-west-1' });
    expect(readSamDefaults(join(dir, 'none'))).toEqual({});
  });

  it('without a region anywhere, says where to give one (exit 2) and calls nothing', async () => {
    // Arrange
    const saved = { ...process.env };
    for (const key of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL']) delete process.env[key];

    // Act
    let run: CliRun;
    try {
      run = await cliInProcess(['status'], mkdtempSync(join(tmpdir(), 'no-samconfig-')));
    } finally {
      Object.assign(process.env, saved);
    }

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'cgw-autopilot: no region: pass --region, set AWS_REGION, or give samconfig.toml a region\n',
    );
  });

  it('names executions after the operation and the time, within Step Functions limits', () => {
    // Act
    const name = executionName(['plan', 'failover', 'to', 'i-0123456789abcdef0'], new Date('2026-01-05T09:00:12.345Z'));

    // Assess
    expect(name).toBe('plan-failover-to-i-0123456789abcdef0-20260105T090012345Z');
    expect(name.length).toBeLessThanOrEqual(80);
  });

  it('maps each reconciler outcome to its documented exit code', () => {
    // Arrange
    const ok = (output: unknown) => ({ executionArn: 'a', name: 'n', status: 'SUCCEEDED', output });

    // Act / Assess
    expect(exitCodeOf(ok({ result: 'converged' }))).toBe(EXIT.done);
    expect(exitCodeOf(ok({ result: 'dry-run' }))).toBe(EXIT.done);
    expect(exitCodeOf(ok({ result: 'dry-run', blocked: { changes: 30, limit: 20 } }))).toBe(EXIT.blocked);
    expect(exitCodeOf(ok({ result: 'dry-run', decision: { outcome: 'no-healthy-member' } }))).toBe(
      EXIT.noHealthyMember,
    );
    expect(exitCodeOf(ok({ result: 'partial' }))).toBe(EXIT.failed);
    expect(exitCodeOf(ok({ result: 'failed', failure: { Error: 'States.TaskFailed' } }))).toBe(EXIT.failed);
    expect(exitCodeOf(ok({ result: 'blocked' }))).toBe(EXIT.blocked);
    expect(exitCodeOf(ok({ result: 'no-change', decision: { outcome: 'cooldown' } }))).toBe(EXIT.blocked);
    expect(exitCodeOf(ok({ result: 'busy', reason: '{"errorType":"LeaseHeldError"}' }))).toBe(EXIT.blocked);
    expect(exitCodeOf(ok({ result: 'no-healthy-member' }))).toBe(EXIT.noHealthyMember);
    expect(exitCodeOf({ executionArn: 'a', name: 'n', status: 'FAILED' })).toBe(EXIT.failed);
  });

  it('parses global flags anywhere on the line', () => {
    // Act
    const line = parseCommandLine(['--stack', 'prod', 'failover', '--json', '--to', 'i-0123456789abcdef0'], COMMANDS);

    // Assess
    expect(line.command?.words).toEqual(['failover']);
    expect(line.global).toMatchObject({ stack: 'prod', json: true });
    expect(line.args.flags.to).toBe('i-0123456789abcdef0');
  });
});
