import {
  AssociateResolverRuleCommand,
  ListResolverRuleAssociationsCommand,
  ListResolverRulesCommand,
} from '@aws-sdk/client-route53resolver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyResolverActions, observeResolverRules } from '../../functions/adapters/resolver-rules.js';
import { planResolverRules, type ResolverConfig } from '../../functions/core/resolver-rules/index.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import {
  createForwardRule,
  createNetwork,
  createOutboundEndpoint,
  failure,
  resolverClient,
} from '../sim/resolver-fixtures.js';

// The observation against the simulated Route 53 Resolver over the wire, which pages as the API
// reference says (at most 100 per page, NextToken with the same Filters): listing by pages, so the
// calls grow with pages of rules and associations, not with names.
describe('observeResolverRules against Route 53 Resolver', () => {
  let sim: SimAccount;
  let config: ResolverConfig;

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
    config = {
      groupName: 'prod',
      staticDomains: [],
      trackedNames: [],
      targetIps: [{ ip: '192.0.2.10', port: 53 }],
      outboundEndpointId: await createOutboundEndpoint(resolverClient(sim), a.subnetIds),
      vpcIds: [a.vpcId, b.vpcId],
      gracePeriodSeconds: 86_400,
      maxChangesPerRun: 10_000,
    };
  });

  const domains = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `app-${from + i}.vendor.example`);

  /** The group's rules for `staticDomains`, each associated with both VPCs, made by the product's plan and apply. */
  async function converge(staticDomains: string[]): Promise<ResolverConfig> {
    const wanted = { ...config, staticDomains };
    const observed = await observeResolverRules(wanted, resolverClient(sim));
    const plan = planResolverRules({
      config: wanted,
      resolutions: {},
      history: { lastSeenAt: {}, lastKnownChains: {} },
      observedRules: observed.observedRules,
      unmanagedAssociations: observed.unmanagedAssociations,
      now: new Date().toISOString(),
    });
    const outcomes = await applyResolverActions(plan.actions, [], { concurrency: 10, client: resolverClient(sim) });
    expect(outcomes.filter((o) => o.status !== 'applied')).toEqual([]);
    return wanted;
  }

  const resolverCalls = (since: number) => {
    const calls: Record<string, number> = {};
    for (const r of sim.log.all({ since, service: 'route53resolver' })) calls[r.action] = (calls[r.action] ?? 0) + 1;
    return calls;
  };

  it('reads every rule and association across several pages, in calls that grow with pages, not names', async () => {
    // Prepare: 230 rules (plus the Internet Resolver rule: 3 pages), 230 associations per VPC (3 pages each)
    const wanted = await converge(domains(0, 230));

    // Act
    const since = sim.log.mark();
    const observed = await observeResolverRules(wanted, resolverClient(sim));

    // Assess
    const managed = observed.observedRules.filter((r) => r.managed);
    expect(managed).toHaveLength(230);
    expect(new Set(managed.map((r) => r.domainName)).size).toBe(230);
    expect(
      managed.every(
        (r) =>
          r.associations
            .map((a) => a.vpcId)
            .sort()
            .join() === [...config.vpcIds].sort().join(),
      ),
    ).toBe(true);
    expect(observed.unmanagedAssociations).toEqual([]);
    expect(resolverCalls(since)).toEqual({ ListResolverRules: 3, ListResolverRuleAssociations: 6 });
    expect(observed.calls).toBe(9);
    const pageSizes = sim.log
      .all({ since, service: 'route53resolver' })
      .map((r) => (r.params as { MaxResults?: number }).MaxResults);
    expect(new Set(pageSizes)).toEqual(new Set([100]));

    // Act: 70 more names, one more page of rules only (301 rules; 300 associations per VPC still fill 3 pages)
    const more = await converge(domains(0, 300));
    const later = sim.log.mark();
    const grown = await observeResolverRules(more, resolverClient(sim));

    // Assess
    expect(grown.observedRules.filter((r) => r.managed)).toHaveLength(300);
    expect(resolverCalls(later)).toEqual({ ListResolverRules: 4, ListResolverRuleAssociations: 6 });
  }, 120_000);

  it('plans nothing and writes nothing when every rule of several pages is in place', async () => {
    // Prepare
    const wanted = await converge(domains(0, 150));

    // Act
    const since = sim.log.mark();
    const observed = await observeResolverRules(wanted, resolverClient(sim));
    const plan = planResolverRules({
      config: wanted,
      resolutions: {},
      history: { lastSeenAt: {}, lastKnownChains: {} },
      observedRules: observed.observedRules,
      unmanagedAssociations: observed.unmanagedAssociations,
      now: new Date().toISOString(),
    });
    const outcomes = await applyResolverActions(plan.actions, [], { concurrency: 10, client: resolverClient(sim) });

    // Assess
    expect(plan.actions).toEqual([]);
    expect(outcomes).toEqual([]);
    expect(Object.keys(resolverCalls(since)).sort()).toEqual(['ListResolverRuleAssociations', 'ListResolverRules']);
  }, 120_000);
});

describe('Route 53 Resolver paging in the simulated account', () => {
  let sim: SimAccount;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('refuses a NextToken given with other Filters than the request that returned it', async () => {
    // Prepare: 3 associations in one VPC, listed 2 at a time
    await sim.reset();
    const network = await createNetwork(sim, '10.0');
    const client = resolverClient(sim);
    const endpointId = await createOutboundEndpoint(client, network.subnetIds);
    const vpcFilter = [{ Name: 'VPCId', Values: [network.vpcId] }];
    const ruleIds: string[] = [];
    for (const domain of ['a.example', 'b.example', 'c.example']) {
      const rule = await createForwardRule(client, endpointId, domain);
      ruleIds.push(rule.Id as string);
      await client.send(new AssociateResolverRuleCommand({ ResolverRuleId: rule.Id, VPCId: network.vpcId }));
    }
    const first = await client.send(new ListResolverRuleAssociationsCommand({ Filters: vpcFilter, MaxResults: 2 }));
    expect(first.NextToken).toBeDefined();

    // Act
    const sameFilters = await client.send(
      new ListResolverRuleAssociationsCommand({ Filters: vpcFilter, MaxResults: 2, NextToken: first.NextToken }),
    );
    const otherFilters = await failure(
      client.send(
        new ListResolverRuleAssociationsCommand({
          Filters: [{ Name: 'ResolverRuleId', Values: [ruleIds[2] as string] }],
          MaxResults: 2,
          NextToken: first.NextToken,
        }),
      ),
    );
    const noFilters = await failure(
      client.send(new ListResolverRuleAssociationsCommand({ NextToken: first.NextToken })),
    );
    const otherList = await failure(client.send(new ListResolverRulesCommand({ NextToken: first.NextToken })));

    // Assess
    expect(sameFilters.ResolverRuleAssociations?.map((a) => a.ResolverRuleId)).toEqual([ruleIds[2]]);
    expect(sameFilters.NextToken).toBeUndefined();
    expect(otherFilters.name).toBe('InvalidNextTokenException');
    expect(otherFilters.message).toMatch(/same Filters/);
    expect(noFilters.name).toBe('InvalidNextTokenException');
    expect(otherList.name).toBe('InvalidNextTokenException');
  });
});
