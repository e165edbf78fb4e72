import { AssociateResolverRuleCommand, ListResolverRuleAssociationsCommand } from '@aws-sdk/client-route53resolver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyResolverActions } from '../../functions/adapters/resolver-rules.js';
import type { ResolverRuleAction } from '../../functions/core/resolver-rules/index.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import { createForwardRule, createNetwork, createOutboundEndpoint, resolverClient } from '../sim/resolver-fixtures.js';

// The adapter against the simulated Route 53 Resolver over the wire: the answers are AWS's (as users and
// moto report them), not a mock's.
describe('applyResolverActions against Route 53 Resolver', () => {
  let sim: SimAccount;
  let vpcA: string;
  let vpcB: string;
  let endpointId: string;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    await sim.reset();
    const a = await createNetwork(sim, '10.0');
    const b = await createNetwork(sim, '10.1');
    vpcA = a.vpcId;
    vpcB = b.vpcId;
    endpointId = await createOutboundEndpoint(resolverClient(sim), a.subnetIds);
  });

  const associate = (ruleId: string, vpcId: string): ResolverRuleAction => ({
    kind: 'associate-rule',
    actionId: `associate-${vpcId}`,
    domainName: 'db.vendor.example',
    ruleId,
    createActionId: null,
    vpcId,
    before: null,
    after: { vpcId },
  });

  it('counts a repeated association of its own rule (RSLVR-00802) as already done', async () => {
    // Prepare: the first call went through, its answer was lost
    const client = resolverClient(sim);
    const rule = await createForwardRule(client, endpointId, 'db.vendor.example');
    await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: vpcA }));

    // Act
    const outcomes = await applyResolverActions([associate(rule.Id as string, vpcA)], [], {
      concurrency: 1,
      backoffMs: 1,
      client,
    });

    // Assess
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'applied', detail: `${rule.Id} already associated with ${vpcA}` }),
    ]);
    const { ResolverRuleAssociations } = await client.send(
      new ListResolverRuleAssociationsCommand({ Filters: [{ Name: 'VPCId', Values: [vpcA] }] }),
    );
    expect(ResolverRuleAssociations).toHaveLength(1);
  });

  it('still fails when another rule for the same domain holds the VPC', async () => {
    // Prepare
    const client = resolverClient(sim);
    const other = await createForwardRule(client, endpointId, 'db.vendor.example', { Name: 'someone-else' });
    await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: other.Id, VPCId: vpcB }));
    const ours = await createForwardRule(client, endpointId, 'db.vendor.example', {
      Name: 'ours',
      CreatorRequestId: 'ours-1',
    });

    // Act
    const outcomes = await applyResolverActions([associate(ours.Id as string, vpcB)], [], {
      concurrency: 1,
      backoffMs: 1,
      client,
    });

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'failed', retryable: false });
    expect(outcomes[0]?.error).toContain('RSLVR-00802');
  });
});
