import {
  AssociateResolverRuleCommand,
  ListResolverRuleAssociationsCommand,
  type Route53ResolverClient,
  TagResourceCommand,
} from '@aws-sdk/client-route53resolver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyResolverActions, observeResolverRules } from '../../functions/adapters/resolver-rules.js';
import { LeaseLostError } from '../../functions/commons/errors.js';
import {
  creatorRequestId,
  type ResolverConfig,
  type ResolverRuleAction,
  ruleName,
} from '../../functions/core/resolver-rules/index.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import { createForwardRule, createNetwork, createOutboundEndpoint, resolverClient } from '../sim/resolver-fixtures.js';

const FAST = { concurrency: 2, backoffMs: 1 };

// The adapter against the simulated Route 53 Resolver over the wire: ResourceExistsException for a repeated
// CreatorRequestId, ResourceInUseException for a rule still associated, throttling and paging are the
// account's answers, not a mock's.
describe('applyResolverActions and observeResolverRules on the simulated account', () => {
  let sim: SimAccount;
  let client: Route53ResolverClient;
  let vpcId: string;
  let endpointId: string;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
    client = resolverClient(sim);
    const network = await createNetwork(sim, '10.0');
    vpcId = network.vpcId;
    endpointId = await createOutboundEndpoint(client, network.subnetIds);
  });

  const calls = (since: number, action: string) =>
    sim.log.all({ since, service: 'route53resolver' }).filter((r) => r.action === action);

  const createAction = (requestId = 'cgw-autopilot-abc'): ResolverRuleAction => ({
    kind: 'create-rule',
    actionId: 'create-1',
    domainName: 'db.vendor.example',
    before: null,
    after: {
      name: 'cgwap-prod-db',
      creatorRequestId: requestId,
      domainName: 'db.vendor.example',
      ruleType: 'FORWARD',
      targetIps: [{ ip: '192.0.2.10', port: 53 }],
      resolverEndpointId: endpointId,
      tags: [{ key: 'cgw-autopilot:managed', value: 'true' }],
    },
  });
  const associateAction = (): ResolverRuleAction => ({
    kind: 'associate-rule',
    actionId: 'associate-1',
    domainName: 'db.vendor.example',
    ruleId: null,
    createActionId: 'create-1',
    vpcId,
    before: null,
    after: { vpcId },
  });

  it('finds the rule a lost create already made through its CreatorRequestId, and associates it', async () => {
    // Prepare: the first CreateResolverRule went through, its answer was lost.
    const made = await createForwardRule(client, endpointId, 'db.vendor.example', {
      CreatorRequestId: 'cgw-autopilot-abc',
      Name: 'cgwap-prod-db',
    });
    const since = sim.log.mark();

    // Act
    const outcomes = await applyResolverActions([createAction(), associateAction()], [], { ...FAST, client });

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(outcomes[0]?.ruleId).toBe(made.Id);
    expect(calls(since, 'ListResolverRules')[0]?.params).toMatchObject({
      Filters: [{ Name: 'CreatorRequestId', Values: ['cgw-autopilot-abc'] }],
    });
    const { ResolverRuleAssociations } = await client.send(
      new ListResolverRuleAssociationsCommand({ Filters: [{ Name: 'VPCId', Values: [vpcId] }] }),
    );
    expect(ResolverRuleAssociations?.map((a) => a.ResolverRuleId)).toContain(made.Id);
  });

  it('skips the associations of a rule whose create failed, and marks a throttled create retryable', async () => {
    // Prepare: throttled for longer than the SDK's attempts times the adapter's tries.
    sim.faults.add({
      service: 'route53resolver',
      action: 'CreateResolverRule',
      errorRate: 1,
      errorCode: 'ThrottlingException',
      times: 1000,
    });
    const since = sim.log.mark();

    // Act
    const outcomes = await applyResolverActions([createAction(), associateAction()], [], {
      ...FAST,
      tries: 2,
      client,
    });

    // Assess
    expect(outcomes).toMatchObject([
      { actionId: 'create-1', status: 'failed', retryable: true },
      { actionId: 'associate-1', status: 'skipped' },
    ]);
    expect(calls(since, 'AssociateResolverRule')).toHaveLength(0);
  });

  it('leaves throttling that outlasted the SDK to the ASL Retry instead of trying the call again itself', async () => {
    // Prepare: throttled for longer than the SDK's own attempts (3, its standard retry mode's default).
    sim.faults.add({
      service: 'route53resolver',
      action: 'CreateResolverRule',
      errorRate: 1,
      errorCode: 'ThrottlingException',
      times: 1000,
    });
    const since = sim.log.mark();

    // Act
    const [outcome] = await applyResolverActions([createAction()], [], { ...FAST, tries: 3, client });

    // Assess: one adapter try, i.e. only the SDK's attempts reached the account.
    expect(outcome).toMatchObject({ status: 'failed', retryable: true });
    expect(calls(since, 'CreateResolverRule')).toHaveLength(3);
  });

  it('stops writing once the lease is lost, failing every action left with LeaseLostError', async () => {
    // Prepare
    const fence = async () => {
      throw new LeaseLostError('the lease of the resolver rules was taken by another execution');
    };
    const since = sim.log.mark();

    // Act
    const outcomes = await applyResolverActions([createAction(), associateAction()], [], { ...FAST, fence, client });

    // Assess
    expect(outcomes.map((o) => [o.status, o.error?.split(':')[0], o.retryable])).toEqual([
      ['failed', 'LeaseLostError', false],
      ['failed', 'LeaseLostError', false],
    ]);
    expect(sim.log.all({ since, service: 'route53resolver' })).toEqual([]);
  });

  it('does not repeat actions an earlier attempt applied', async () => {
    // Prepare
    const made = await createForwardRule(client, endpointId, 'db.vendor.example');
    const since = sim.log.mark();

    // Act
    const outcomes = await applyResolverActions(
      [createAction(), associateAction()],
      [{ actionId: 'create-1', status: 'applied', ruleId: made.Id as string }],
      { ...FAST, client },
    );

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(calls(since, 'CreateResolverRule')).toHaveLength(0);
    expect(calls(since, 'AssociateResolverRule')[0]?.params).toMatchObject({ ResolverRuleId: made.Id, VPCId: vpcId });
  });

  it('treats a delete refused while the rule is still associated as retryable, not as a final failure', async () => {
    // Prepare
    const old = await createForwardRule(client, endpointId, 'old.vendor.example');
    await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: old.Id, VPCId: vpcId }));
    const remove: ResolverRuleAction = {
      kind: 'delete-rule',
      actionId: 'delete-1',
      domainName: 'old.vendor.example',
      ruleId: old.Id as string,
      reason: 'retired',
      before: {
        ruleArn: old.Arn as string,
        name: null,
        domainName: 'old.vendor.example',
        targetIps: [],
        resolverEndpointId: null,
      },
      after: null,
    };
    const since = sim.log.mark();

    // Act
    const [outcome] = await applyResolverActions([remove], [], { ...FAST, tries: 2, client });

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', retryable: true });
    expect(outcome?.error).toContain('ResourceInUseException');
    expect(calls(since, 'DeleteResolverRule')).toHaveLength(2);
  });

  it('reads tags only for rules that look like ours without being provably ours', async () => {
    // Prepare
    const config: ResolverConfig = {
      groupName: 'prod',
      staticDomains: [],
      trackedNames: [],
      targetIps: [{ ip: '192.0.2.10', port: 53 }],
      outboundEndpointId: endpointId,
      vpcIds: [vpcId],
      gracePeriodSeconds: 86_400,
      maxChangesPerRun: 10_000,
    };
    const domain = 'db.x.eu-west-2.rds.amazonaws.com';
    const ours = await createForwardRule(client, endpointId, domain, {
      Name: ruleName('prod', domain),
      CreatorRequestId: creatorRequestId('prod', domain, endpointId, config.targetIps),
      TargetIps: [{ Ip: '192.0.2.10', Port: 53 }],
    });
    // Our name, made by an earlier version (another CreatorRequestId): ours only by its tags.
    const updated = await createForwardRule(client, endpointId, 'a.example', { Name: ruleName('prod', 'a.example') });
    await client.send(
      new TagResourceCommand({
        ResourceArn: updated.Arn,
        Tags: [
          { Key: 'cgw-autopilot:managed', Value: 'true' },
          { Key: 'cgw-autopilot:group', Value: 'prod' },
        ],
      }),
    );
    const hand = await createForwardRule(client, endpointId, domain.replace('db.', 'other.'), { Name: 'hand-made' });
    await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: hand.Id, VPCId: vpcId }));
    const since = sim.log.mark();

    // Act
    const observed = await observeResolverRules(config, client);

    // Assess
    expect(calls(since, 'ListTagsForResource').map((r) => (r.params as { ResourceArn: string }).ResourceArn)).toEqual([
      updated.Arn,
    ]);
    const managed = Object.fromEntries(observed.observedRules.map((r) => [r.id, r.managed]));
    expect(managed).toMatchObject({
      [ours.Id as string]: true,
      [updated.Id as string]: true,
      [hand.Id as string]: false,
    });
    expect(observed.unmanagedAssociations).toMatchObject([{ ruleId: hand.Id, vpcId }]);
  });

  it('turns a throttled listing into RetryableAwsError for the ASL Retry', async () => {
    // Prepare
    sim.faults.add({
      service: 'route53resolver',
      action: 'ListResolverRules',
      errorRate: 1,
      errorCode: 'ThrottlingException',
      times: 1000,
    });

    // Act
    const observing = observeResolverRules(
      {
        groupName: 'prod',
        staticDomains: [],
        trackedNames: [],
        targetIps: [{ ip: '192.0.2.10', port: 53 }],
        outboundEndpointId: endpointId,
        vpcIds: [vpcId],
        gracePeriodSeconds: 86_400,
        maxChangesPerRun: 10_000,
      },
      client,
    );

    // Assess
    await expect(observing).rejects.toMatchObject({ name: 'RetryableAwsError' });
  });
});
