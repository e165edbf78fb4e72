import { describe, expect, it } from 'vitest';
import {
  planResolverRules,
  type ResolverRuleAction,
  type ResolverRulePlan,
  type ResolverRulePlanInput,
  verifyRules,
} from '../../functions/core/resolver-rules/index.js';
import {
  APP_DOMAIN,
  applyPlan,
  config,
  DAY_SECONDS,
  DB_NAME,
  HOST_A,
  HOST_B,
  input,
  observedRule,
  resolved,
  secondsAfter,
  T0,
  VPC_A,
  VPC_B,
} from './resolver-rules-fixtures.js';

function ofKind<K extends ResolverRuleAction['kind']>(plan: ResolverRulePlan, kind: K) {
  return plan.actions.filter((action): action is Extract<ResolverRuleAction, { kind: K }> => action.kind === kind);
}

/** The world after the first run at T0 (db -> HOST_A) has been applied. */
function afterFirstRun() {
  const first = planResolverRules(input());
  return { first, rules: applyPlan([], first), history: first.nextHistory };
}

/** The world after a second run, an hour later, in which the CNAME target moved to HOST_B. */
function afterTargetMoved() {
  const { first, rules } = afterFirstRun();
  const moved = planResolverRules(
    input({
      resolutions: { [DB_NAME]: resolved(DB_NAME, HOST_B) },
      history: first.nextHistory,
      observedRules: rules,
      now: secondsAfter(T0, 3600),
    }),
  );
  return { moved, rules: applyPlan(rules, moved) };
}

describe('planResolverRules', () => {
  it('creates rules for the application domain, the database name and its CNAME target in both VPCs on the first run', () => {
    // Prepare
    const firstRun = input();

    // Act
    const plan = planResolverRules(firstRun);

    // Assess
    const creates = ofKind(plan, 'create-rule');
    expect(creates.map((a) => a.domainName).sort()).toEqual([APP_DOMAIN, DB_NAME, HOST_A].sort());
    for (const create of creates) {
      expect(create.after).toMatchObject({ ruleType: 'FORWARD', resolverEndpointId: config().outboundEndpointId });
      expect(create.after.targetIps).toEqual(config().targetIps);
      expect(create.after.name).toMatch(/^[A-Za-z0-9_ -]{1,64}$/);
      expect(create.after.tags).toContainEqual({ key: 'cgw-autopilot:managed', value: 'true' });
      const associations = ofKind(plan, 'associate-rule').filter((a) => a.createActionId === create.actionId);
      expect(associations.map((a) => a.vpcId).sort()).toEqual([VPC_A, VPC_B].sort());
    }
    expect(plan.actions).toHaveLength(9);
    expect(plan.nextHistory.lastKnownChains).toEqual({ [DB_NAME]: [DB_NAME, HOST_A] });
    expect(plan.nextHistory.lastSeenAt[HOST_A]).toBe(T0);
    expect(plan.degraded).toBe(false);
    expect(plan.blocked).toBeNull();
  });

  it('plans the same actions with the same ids for the same input', () => {
    // Prepare
    const world = afterTargetMoved();

    // Act
    const once = planResolverRules(input({ observedRules: world.rules, now: secondsAfter(T0, 2 * DAY_SECONDS) }));
    const again = planResolverRules(
      input({ observedRules: [...world.rules].reverse(), now: secondsAfter(T0, 2 * DAY_SECONDS) }),
    );

    // Assess
    expect(again).toEqual(once);
    expect(new Set(once.actions.map((a) => a.actionId)).size).toBe(once.actions.length);
  });

  it('creates the rule for a new CNAME target and keeps the old one during the grace period', () => {
    // Prepare, Act
    const { moved } = afterTargetMoved();

    // Assess
    expect(ofKind(moved, 'create-rule').map((a) => a.domainName)).toEqual([HOST_B]);
    expect(ofKind(moved, 'associate-rule')).toHaveLength(2);
    expect(moved.actions.filter((a) => a.domainName === HOST_A)).toEqual([]);
    expect(moved.nextHistory.lastSeenAt[HOST_A]).toBe(T0);
  });

  it.each([
    { label: 'an hour after it left', seconds: 3600, retired: false },
    { label: 'exactly the grace period after it was last seen', seconds: DAY_SECONDS, retired: false },
    { label: 'one second past the grace period', seconds: DAY_SECONDS + 1, retired: true },
  ])('retires the old CNAME target only after the grace period: $label', ({ seconds, retired }) => {
    // Prepare
    const { moved, rules } = afterTargetMoved();
    const oldRule = rules.find((rule) => rule.domainName === `${HOST_A}.`)!;

    // Act
    const plan = planResolverRules(
      input({
        resolutions: { [DB_NAME]: resolved(DB_NAME, HOST_B) },
        history: moved.nextHistory,
        observedRules: rules,
        now: secondsAfter(T0, seconds),
      }),
    );

    // Assess
    const retiring = plan.actions.filter((a) => a.kind === 'disassociate-rule' || a.kind === 'delete-rule');
    if (retired) {
      expect(ofKind(plan, 'disassociate-rule').map((a) => a.ruleId)).toEqual([oldRule.id, oldRule.id]);
      expect(ofKind(plan, 'delete-rule')).toMatchObject([{ ruleId: oldRule.id, reason: 'retired' }]);
      expect(plan.actions.at(-1)?.kind).toBe('delete-rule');
    } else {
      expect(retiring).toEqual([]);
    }
  });

  it('retires nothing and reports degraded while the vendor DNS times out', () => {
    // Prepare
    const { rules, history } = afterFirstRun();
    const weekLater = secondsAfter(T0, 7 * DAY_SECONDS);

    // Act
    const plan = planResolverRules(
      input({
        resolutions: { [DB_NAME]: { status: 'unknown', reason: 'timeout' } },
        history,
        observedRules: rules,
        now: weekLater,
      }),
    );

    // Assess
    expect(plan.actions).toEqual([]);
    expect(plan.degraded).toBe(true);
    expect(plan.unresolvedNames).toEqual([DB_NAME]);
    expect(plan.desired.map((rule) => rule.domainName)).toContain(HOST_A);
    expect(plan.nextHistory.lastKnownChains[DB_NAME]).toEqual([DB_NAME, HOST_A]);
    expect(plan.nextHistory.lastSeenAt[HOST_A]).toBe(T0);
  });

  it('counts a tracked name without a DNS result as unknown', () => {
    // Prepare
    const { rules, history } = afterFirstRun();

    // Act
    const plan = planResolverRules(
      input({ resolutions: {}, history, observedRules: rules, now: secondsAfter(T0, 7 * DAY_SECONDS) }),
    );

    // Assess
    expect(plan.actions).toEqual([]);
    expect(plan.degraded).toBe(true);
  });

  it.each([
    { label: 'listed as a rule', fromRules: true },
    { label: 'listed as an association only', fromRules: false },
  ])('leaves an unmanaged conflicting rule alone and reports it ($label)', ({ fromRules }) => {
    // Prepare
    const theirs = observedRule('rslvr-rr-theirs', APP_DOMAIN, [VPC_A], { managed: false, name: 'hand-made' });
    const world: Partial<ResolverRulePlanInput> = fromRules
      ? { observedRules: [theirs] }
      : {
          unmanagedAssociations: [
            {
              associationId: 'rslvr-rrassoc-x',
              ruleId: theirs.id,
              domainName: `${APP_DOMAIN}.`,
              vpcId: VPC_A,
              status: 'COMPLETE',
            },
          ],
        };

    // Act
    const plan = planResolverRules(input(world));

    // Assess
    expect(plan.conflicts).toMatchObject([{ domainName: APP_DOMAIN, vpcId: VPC_A, ruleId: theirs.id }]);
    expect(plan.actions.some((a) => 'ruleId' in a && a.ruleId === theirs.id)).toBe(false);
    const appAssociations = ofKind(plan, 'associate-rule').filter((a) => a.domainName === APP_DOMAIN);
    expect(appAssociations.map((a) => a.vpcId)).toEqual([VPC_B]);
  });

  it('creates no managed rule for a domain whose every VPC holds an unmanaged rule', () => {
    // Prepare
    const theirs = observedRule('rslvr-rr-theirs', APP_DOMAIN, [VPC_A, VPC_B], { managed: false });

    // Act
    const plan = planResolverRules(input({ observedRules: [theirs] }));

    // Assess
    expect(plan.actions.filter((a) => a.domainName === APP_DOMAIN)).toEqual([]);
    expect(plan.conflicts).toHaveLength(2);
    expect(verifyRules(applyPlan([theirs], plan), plan.desired).converged).toBe(true);
  });

  it.each([
    { label: 'a CNAME loop', resolution: { status: 'invalid' as const, problem: 'loop', detail: 'a -> b -> a' } },
    { label: 'a chain too deep', resolution: { status: 'invalid' as const, problem: 'too-deep', detail: '11 links' } },
    { label: 'a reported chain that repeats a name', resolution: resolved(DB_NAME, HOST_B, DB_NAME) },
  ])('reports $label and changes nothing of that name', ({ resolution }) => {
    // Prepare
    const { rules, history } = afterFirstRun();
    const missingAssociation = rules.map((rule) => ({ ...rule, associations: rule.associations.slice(1) }));

    // Act
    const plan = planResolverRules(
      input({
        resolutions: { [DB_NAME]: resolution },
        history,
        observedRules: missingAssociation,
        now: secondsAfter(T0, 30 * DAY_SECONDS),
      }),
    );

    // Assess
    expect(plan.problems).toMatchObject([{ kind: 'invalid-chain', name: DB_NAME }]);
    expect(plan.problems[0]?.message).toContain(DB_NAME);
    expect(plan.actions.filter((a) => a.domainName !== APP_DOMAIN)).toEqual([]);
    expect(ofKind(plan, 'associate-rule').map((a) => a.domainName)).toEqual([APP_DOMAIN]);
    expect(plan.nextHistory.lastKnownChains[DB_NAME]).toEqual([DB_NAME, HOST_A]);
  });

  it('creates nothing for an invalid chain on the first run', () => {
    // Prepare
    const loop = { status: 'invalid' as const, chain: [DB_NAME, HOST_A, DB_NAME], problem: 'loop' };

    // Act
    const plan = planResolverRules(input({ resolutions: { [DB_NAME]: loop } }));

    // Assess
    expect(plan.actions.map((a) => a.domainName)).toEqual(plan.actions.map(() => APP_DOMAIN));
    expect(plan.desired.map((rule) => rule.domainName)).toEqual([APP_DOMAIN]);
  });

  it('forwards the names that exist when the chain ends in NXDOMAIN, and says so', () => {
    // Prepare
    const nxdomain = { status: 'nxdomain' as const, chain: [DB_NAME, HOST_A] };

    // Act
    const plan = planResolverRules(input({ resolutions: { [DB_NAME]: nxdomain } }));

    // Assess
    expect(
      ofKind(plan, 'create-rule')
        .map((a) => a.domainName)
        .sort(),
    ).toEqual([APP_DOMAIN, DB_NAME, HOST_A].sort());
    expect(plan.problems).toMatchObject([{ kind: 'nxdomain', name: DB_NAME }]);
    expect(plan.degraded).toBe(false);
  });

  it.each([
    {
      label: 'a new target IP',
      change: {
        targetIps: [
          { ip: '10.0.0.2', port: 53 },
          { ip: '10.0.0.9', port: 5353 },
        ],
      },
    },
    { label: 'a new outbound endpoint', change: { outboundEndpointId: 'rslvr-out-fedcba9876543210f' } },
  ])('updates the targets of every managed rule after $label', ({ change }) => {
    // Prepare
    const { rules, history } = afterFirstRun();
    const changed = config(change);

    // Act
    const plan = planResolverRules(
      input({ config: changed, history, observedRules: rules, now: secondsAfter(T0, 60) }),
    );

    // Assess
    const updates = ofKind(plan, 'update-rule-targets');
    expect(plan.actions).toHaveLength(3);
    expect(updates.map((a) => a.ruleId).sort()).toEqual(rules.map((rule) => rule.id).sort());
    for (const update of updates) {
      expect(update.before).toEqual({ targetIps: config().targetIps, resolverEndpointId: config().outboundEndpointId });
      expect(update.after.resolverEndpointId).toBe(changed.outboundEndpointId);
      expect(update.after.targetIps).toHaveLength(2);
    }
  });

  it('does not update a rule whose targets differ only in order and spelling', () => {
    // Prepare
    const ipv6 = config({
      targetIps: [
        { ip: 'fd00::2', port: 53 },
        { ip: '10.0.0.2', port: 53 },
      ],
    });
    const rule = observedRule('rslvr-rr-1', APP_DOMAIN, [VPC_A, VPC_B], {
      targetIps: [
        { ip: '10.0.0.2', port: 53 },
        { ip: 'FD00:0:0:0:0:0:0:2', port: 53 },
      ],
    });

    // Act
    const plan = planResolverRules(
      input({ config: { ...ipv6, trackedNames: [] }, resolutions: {}, observedRules: [rule] }),
    );

    // Assess
    expect(plan.actions).toEqual([]);
  });

  it('deletes an unassociated duplicate managed rule and keeps the associated one', () => {
    // Prepare
    const { rules, history } = afterFirstRun();
    const app = rules.find((rule) => rule.domainName === `${APP_DOMAIN}.`)!;
    const duplicate = observedRule('rslvr-rr-00000000000000000', APP_DOMAIN, []);

    // Act
    const plan = planResolverRules(input({ history, observedRules: [...rules, duplicate], now: secondsAfter(T0, 60) }));

    // Assess
    expect(plan.actions).toMatchObject([{ kind: 'delete-rule', ruleId: duplicate.id, reason: 'duplicate' }]);
    expect(plan.actions.some((a) => 'ruleId' in a && a.ruleId === app.id)).toBe(false);
  });

  it('keeps duplicate managed rules that each serve a VPC, reports them and associates neither again', () => {
    // Prepare
    const first = observedRule('rslvr-rr-bbbbbbbbbbbbbbbbb', APP_DOMAIN, [VPC_A]);
    const second = observedRule('rslvr-rr-aaaaaaaaaaaaaaaaa', APP_DOMAIN, [VPC_B]);
    const world = input({ config: config({ trackedNames: [] }), resolutions: {} });

    // Act
    const plan = planResolverRules({ ...world, observedRules: [first, second] });
    const swapped = planResolverRules({ ...world, observedRules: [second, first] });

    // Assess
    expect(plan.actions).toEqual([]);
    expect(plan.problems).toMatchObject([{ kind: 'duplicate-rules', name: APP_DOMAIN }]);
    expect(plan.problems[0]?.ruleIds).toEqual([second.id, first.id]);
    expect(swapped.problems).toEqual(plan.problems);
  });

  it('keeps a managed rule it has no history for and starts its grace period now', () => {
    // Prepare
    const orphan = observedRule('rslvr-rr-orphan', 'old.vendor.example', [VPC_A]);
    const fullWorld = applyPlan([], planResolverRules(input()));

    // Act
    const plan = planResolverRules(input({ observedRules: [...fullWorld, orphan], now: secondsAfter(T0, 60) }));
    const later = planResolverRules(
      input({
        history: plan.nextHistory,
        observedRules: [...fullWorld, orphan],
        now: secondsAfter(T0, DAY_SECONDS + 61),
      }),
    );

    // Assess
    expect(plan.actions).toEqual([]);
    expect(plan.nextHistory.lastSeenAt['old.vendor.example']).toBe(secondsAfter(T0, 60));
    expect(later.actions.map((a) => a.kind)).toEqual(['disassociate-rule', 'delete-rule']);
  });

  it.each([
    { label: 'within the limit', limit: 9, override: false, blocked: false },
    { label: 'over the limit', limit: 8, override: false, blocked: true },
    { label: 'over the limit with the manual override', limit: 8, override: true, blocked: false },
  ])('blocks a plan by its blast radius: $label', ({ limit, override, blocked }) => {
    // Prepare
    const world = input({ config: config({ maxChangesPerRun: limit }), override });

    // Act
    const plan = planResolverRules(world);

    // Assess
    expect(plan.actions).toHaveLength(9);
    expect(plan.blocked).toEqual(blocked ? { reason: expect.stringContaining('override'), changes: 9, limit } : null);
  });

  it('rejects a time that is not ISO 8601', () => {
    // Prepare
    const world = input({ now: 'yesterday' });

    // Act
    const plan = () => planResolverRules(world);

    // Assess
    expect(plan).toThrow(RangeError);
  });
});

describe('verifyRules', () => {
  it('lists what is still missing: rules, associations and forwarding', () => {
    // Prepare
    const plan = planResolverRules(input());
    const applied = applyPlan([], plan);
    const app = applied.find((rule) => rule.domainName === `${APP_DOMAIN}.`)!;
    const partial = applied
      .filter((rule) => rule.domainName !== `${HOST_A}.`)
      .map((rule) =>
        rule.id === app.id ? { ...rule, associations: rule.associations.slice(0, 1), resolverEndpointId: null } : rule,
      );

    // Act
    const complete = verifyRules(applied, plan.desired);
    const incomplete = verifyRules(partial, plan.desired);

    // Assess
    expect(complete).toEqual({ converged: true, missingRules: [], wrongForwarding: [], missingAssociations: [] });
    expect(incomplete.converged).toBe(false);
    expect(incomplete.missingRules).toEqual([HOST_A]);
    expect(incomplete.wrongForwarding).toEqual([{ domainName: APP_DOMAIN, ruleId: app.id }]);
    expect(incomplete.missingAssociations).toEqual([{ domainName: APP_DOMAIN, vpcId: app.associations[1]?.vpcId }]);
  });
});
