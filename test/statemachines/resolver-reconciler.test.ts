import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployTemplate } from '../../sim/deploy/deploy.js';
import { Topology } from '../../sim/drill/topology.js';
import { DrillWorld } from '../../sim/drill/world.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { SnsService } from '../../sim/services/sns.js';
import { runExecution } from './run-execution.js';

const root = resolve(import.meta.dirname, '../..');
const MANUAL = { operation: 'reconcile', requestedBy: 'test' };

/** The event log of one execution of the resolver reconciler on the deployed template, with its status. */
const execute = (world: DrillWorld, input: object) => runExecution(world, 'ResolverReconcilerStateMachine', input);

const entered = (events: HistoryEvent[]) =>
  events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
const failedTasks = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed')
    .map((e) => e.taskFailedEventDetails?.error ?? e.lambdaFunctionFailedEventDetails?.error);

describe('resolver reconciler state machine (deployed template, simulated account)', () => {
  let sim: SimAccount;
  let world: DrillWorld;
  let stateTable: string;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
    const topology = new Topology(sim);
    await topology.build({
      vpcs: [
        {
          name: 'app',
          cidr: '10.0.0.0/16',
          subnets: [
            { name: 'a', cidr: '10.0.1.0/24' },
            { name: 'b', cidr: '10.0.2.0/24' },
          ],
        },
      ],
      resolverEndpoints: [{ name: 'outbound', direction: 'OUTBOUND', subnets: ['app.a', 'app.b'] }],
      dns: [
        { name: 'db.vendor.example', cname: 'host-1.vendor.example', ttl: 60 },
        { name: 'host-1.vendor.example', a: ['10.200.1.1'], ttl: 60 },
      ],
    });
    const stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: {
        ResolverTrackedNames: 'db.vendor.example',
        VendorDnsTargets: sim.dns.servers().join(','),
        OutboundResolverEndpointId: topology.ref('endpoint', 'outbound'),
        ResolverVpcIds: topology.ref('vpc', 'app'),
        ResolverSubnetIds: `${topology.ref('subnet', 'app.a')},${topology.ref('subnet', 'app.b')}`,
        ResolverSecurityGroupVpcId: topology.ref('vpc', 'app'),
        ResolverDnsEgressCidr: '10.200.0.0/16',
        VendorCidrs: '10.200.0.0/16',
        SweepSchedule: 'rate(1 day)',
      },
    });
    world = new DrillWorld(sim, stack, root, topology);
    stateTable = stack.physical.StateTable!.split('/').pop()!;
  });

  it('retries Apply on RetryableAwsError when throttling outlasts the function, then converges', async () => {
    // Prepare
    sim.faults.add({
      service: 'route53resolver',
      action: 'AssociateResolverRule',
      errorRate: 1,
      errorCode: 'ThrottlingException',
      times: 26,
    });

    // Act
    const run = await execute(world, MANUAL);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(failedTasks(run.events)).toContain('RetryableAwsError');
    expect(entered(run.events).filter((name) => name === 'Apply')).toHaveLength(1);
    expect(run.output).toMatchObject({ result: 'converged', outcomes: { applied: 4, failed: 0 } });
  });

  it('fails naming the error when Apply fails after writing, instead of reporting a run that changed nothing', async () => {
    // Prepare: the rules are created, then storing their outcomes is refused (as DynamoDB refuses an item
    // over 400 KB), so Apply fails with an error the ASL does not retry.
    sim.faults.add({
      service: 'dynamodb',
      action: 'UpdateItem',
      match: 'outcomes',
      errorRate: 1,
      errorCode: 'ValidationException',
      times: 10,
    });

    // Act
    const run = await execute(world, MANUAL);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(entered(run.events)).toContain('ReportFailure');
    expect(run.described.cause).toContain('storing the outcomes');
    const { ResolverRules } = await world.call('route53resolver:ListResolverRules', {
      Filters: [{ Name: 'TYPE', Values: ['FORWARD'] }],
    });
    expect(ResolverRules).toHaveLength(2);
  });

  it('plans a rule for each of 1,000 tracked names and 100 static domains stored with npm run resolver-names', async () => {
    // Prepare: more names than a Lambda environment (4 KB) or a template parameter (4,096 bytes) holds.
    const names = Array.from({ length: 1000 }, (_, i) => `db-${i}.customer-databases.vendor-db.example`);
    const domains = Array.from({ length: 100 }, (_, i) => `app-${i}.vendor-applications.example`);
    for (const [i, name] of names.entries()) sim.dns.setA(name, [`10.200.${Math.floor(i / 250)}.${(i % 250) + 1}`]);
    const dir = mkdtempSync(join(tmpdir(), 'cgw-names-'));
    writeFileSync(join(dir, 'names.txt'), `# vendor databases\n${names.join('\n')}\n`);
    writeFileSync(join(dir, 'domains.txt'), domains.join('\n'));
    // Asynchronously: the simulated account answers from this very process.
    const command = await promisify(execFile)(
      resolve(root, 'node_modules/.bin/tsx'),
      [
        'scripts/resolver-names.ts',
        ...['--table', stateTable, '--group', 'vendor-vpn'],
        ...['--tracked-names-file', join(dir, 'names.txt'), '--static-domains-file', join(dir, 'domains.txt')],
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, AWS_ENDPOINT_URL: sim.endpoint } },
    );
    rmSync(dir, { recursive: true, force: true });

    // Act
    const run = await execute(world, { ...MANUAL, dryRun: true });

    // Assess: the template's db.vendor.example and its CNAME target, plus every stored name and domain,
    // each a rule and an association with the one VPC.
    expect(command.stderr).toBe('');
    expect(command.stdout).toContain('stored 1000 tracked names and 100 static domains');
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ result: 'dry-run', actionCount: 2 * (2 + 1000 + 100) });
  });

  it('plans 2,000 tracked names with CNAME chains of depth 3: the plan stored in pieces, the decision within 256 KiB', async () => {
    // Prepare: 8,002 rules and as many associations planned; packed, the plan passes DynamoDB's 400 KB
    // item, and 2,000 chains listed in the decision pass Step Functions' 256 KiB payload.
    const names = Array.from({ length: 2000 }, (_, i) => `db${i}.vendor-db.example`);
    names.forEach((name, i) => {
      let current = name;
      for (let link = 1; link <= 3; link++) {
        const next = `h${link}-${i}.vendor-hosts.example`;
        sim.dns.setCname(current, next);
        current = next;
      }
      sim.dns.setA(current, [`10.200.${i % 250}.${1 + Math.floor(i / 250)}`]);
    });
    await world.call('dynamodb:PutItem', {
      TableName: stateTable,
      Item: {
        pk: { S: 'group#vendor-vpn' },
        sk: { S: 'resolver-config' },
        trackedNames: { L: names.map((name) => ({ S: name })) },
      },
    });

    // Act
    const run = await execute(world, { ...MANUAL, dryRun: true });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ result: 'dry-run', actionCount: 2 * (2 + 4 * 2000) });
    const decided = run.events.find(
      (e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Decide',
    );
    const decision = JSON.parse(decided?.stateExitedEventDetails?.output ?? '{}').decided.decision;
    expect(Object.keys(decision.resolutions)).toHaveLength(200);
    // 2,001 names: the template's db.vendor.example and the 2,000 stored.
    expect(decision.resolutionsOmitted).toBe(2001 - 200);
  }, 300_000);

  it('keeps a run whose verification read is throttled: unverified, listed, history stored, nothing undone later (promise 6)', async () => {
    // Prepare: Decide's listing goes through, the verification's is throttled
    sim.faults.add({
      service: 'route53resolver',
      action: 'ListResolverRules',
      afterCalls: 1,
      errorRate: 1,
      errorCode: 'ThrottlingException',
    });

    // Act
    const first = await execute(world, MANUAL);
    sim.faults.clear();
    await world.step({ dns: { down: true } });
    const second = await execute(world, MANUAL);

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(first.output).toMatchObject({
      result: 'unverified',
      history: { saved: true },
      outcomes: { applied: 4, failed: 0 },
      verification: { converged: null },
    });
    const notice = sim.service<SnsService>('sns').published.find((m) => m.message.includes('"unverified"'));
    expect(notice?.message).toContain('create-rule host-1.vendor.example');
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toMatchObject({ result: 'degraded', outcomes: { applied: 0 } });
    // The account's FORWARD rules (the built-in Internet Resolver rule is RECURSIVE).
    const { ResolverRules } = await world.call('route53resolver:ListResolverRules', {
      Filters: [{ Name: 'TYPE', Values: ['FORWARD'] }],
    });
    expect(ResolverRules.map((r: { DomainName: string }) => r.DomainName).sort()).toEqual([
      'db.vendor.example.',
      'host-1.vendor.example.',
    ]);
  });

  it('takes the dry-run branch: no Apply state, the plan in the output', async () => {
    // Act
    const run = await execute(world, { ...MANUAL, dryRun: true });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(entered(run.events)).toEqual([
      'Intake',
      'IsIgnored',
      'Decide',
      'UnpackDecision',
      'ShouldApply',
      'Report',
      'IsBlocked',
      'Done',
    ]);
    expect(run.output).toMatchObject({ result: 'dry-run', actionCount: 4 });
  });

  it('catches a malformed input in Intake and fails naming the field, before Decide', async () => {
    // Act
    const run = await execute(world, { operation: 'repair' });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.described.error).toBe('InvalidInputError');
    expect(run.described.cause).toContain('operation');
    expect(entered(run.events)).toEqual(['Intake', 'InputRejected']);
  });

  it('retries Decide when Route 53 Resolver keeps failing, then catches it and reports the failure', async () => {
    // Prepare
    sim.faults.add({
      service: 'route53resolver',
      action: 'ListResolverRules',
      errorRate: 1,
      errorCode: 'InternalError',
    });

    // Act
    const run = await execute(world, MANUAL);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(failedTasks(run.events).filter((e) => e === 'RetryableAwsError').length).toBeGreaterThanOrEqual(5);
    expect(entered(run.events)).toContain('ReportFailure');
    expect(entered(run.events)).not.toContain('Apply');
    expect(run.described.error).toBe('RetryableAwsError');
  });
});
