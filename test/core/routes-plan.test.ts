import { describe, expect, it } from 'vitest';
import type {
  GatewayDecision,
  ObservedRoute,
  PlanAction,
  RouteConfig,
  RouteObservation,
  RoutePlan,
} from '../../functions/core/routes/index.js';
import {
  applyBlastRadius,
  limitRound,
  planRouteChanges,
  reconcileRoutes,
  verifyRoutes,
} from '../../functions/core/routes/index.js';
import {
  gateway,
  groupRecord,
  observe,
  routeTo,
  TABLE_A,
  TABLE_B,
  table,
  testConfig,
  VENDOR_CIDR,
  VENDOR_PREFIX_LIST,
} from './routes-fixtures.js';

const activeA: GatewayDecision = {
  outcome: 'unchanged',
  trigger: 'automatic',
  activeBefore: 'i-a',
  activeAfter: 'i-a',
  reason: 'active i-a is healthy',
};
const toA = { networkInterfaceId: 'eni-a', instanceId: 'i-a' };
const members = [gateway('a', { priority: 1 }), gateway('b', { priority: 2 })];

/** Table A holds `route` for the vendor CIDR; everything else already points at eni-a. */
function withCidrRouteInTableA(route: ObservedRoute | null, overrides: Partial<RouteObservation> = {}) {
  const good = [routeTo('a'), routeTo('a', VENDOR_PREFIX_LIST)];
  const tableA = route === null ? [good[1]!] : [route, good[1]!];
  return observe(members, { routeTables: [table(TABLE_A, tableA), table(TABLE_B, good)], ...overrides });
}

function plan(observation: RouteObservation, config: RouteConfig = testConfig(), decision = activeA) {
  return planRouteChanges(observation, decision, config).actions;
}

describe('planRouteChanges', () => {
  it('replaces a blackholed route with the active gateway ENI', () => {
    // Prepare
    const blackholed: ObservedRoute = {
      destination: VENDOR_CIDR,
      target: { networkInterfaceId: 'eni-old' },
      state: 'blackhole',
    };

    // Act
    const actions = plan(withCidrRouteInTableA(blackholed));

    // Assess
    expect(actions).toEqual([
      {
        kind: 'replace-route',
        actionId: expect.stringMatching(/^replace-route-[0-9a-f]{16}$/),
        routeTableId: TABLE_A,
        destination: VENDOR_CIDR,
        reason: 'blackhole',
        before: { target: { networkInterfaceId: 'eni-old' }, state: 'blackhole' },
        after: toA,
      },
    ]);
  });

  it.each([
    ['missing-eni', { networkInterfaceId: 'eni-deleted' }, {}],
    ['eni-not-on-running-member', { networkInterfaceId: 'eni-x' }, { 'eni-x': 'i-outsider' }],
    ['eni-not-on-running-member', { networkInterfaceId: 'eni-x' }, { 'eni-x': null }],
    ['instance-target', { instanceId: 'i-a' }, {}],
    ['other-target', { gatewayId: 'igw-1' }, {}],
    ['other-target', { transitGatewayId: 'tgw-1' }, {}],
    ['other-target', { vpcPeeringConnectionId: 'pcx-1' }, {}],
    ['not-active-gateway', { networkInterfaceId: 'eni-b', instanceId: 'i-b' }, {}],
  ] as const)(
    'replaces an active route whose problem is %s (other targets under the replace policy)',
    (reason, target, extraEnis) => {
      // Prepare
      const route: ObservedRoute = { destination: VENDOR_CIDR, target, state: 'active' };
      const observation = withCidrRouteInTableA(route);
      observation.networkInterfaces = { ...observation.networkInterfaces, ...extraEnis };

      // Act
      const actions = plan(observation, testConfig({ otherTargets: 'replace' }));

      // Assess
      expect(actions).toMatchObject([{ kind: 'replace-route', routeTableId: TABLE_A, reason, after: toA }]);
    },
  );

  it('replaces a route to the ENI of a stopped member', () => {
    // Prepare
    const stopped = [members[0]!, gateway('b', { state: 'stopped' })];
    const observation = withCidrRouteInTableA(routeTo('b'), { members: stopped });

    // Act
    const actions = plan(observation);

    // Assess
    expect(actions).toMatchObject([{ kind: 'replace-route', reason: 'eni-not-on-running-member' }]);
  });

  it('creates a missing route', () => {
    // Prepare
    const observation = withCidrRouteInTableA(null);

    // Act
    const actions = plan(observation);

    // Assess
    expect(actions).toMatchObject([
      { kind: 'create-route', routeTableId: TABLE_A, destination: VENDOR_CIDR, before: null, after: toA },
    ]);
  });

  it('leaves alone routes that already target the active ENI', () => {
    // Prepare
    const observation = observe(members, { routesTo: 'a' });

    // Act
    const actions = plan(observation);

    // Assess
    expect(actions).toEqual([]);
  });

  it('never touches an unmanaged route table or an unmanaged destination', () => {
    // Prepare
    const unmanagedDestination: ObservedRoute = {
      destination: { kind: 'ipv4-cidr', value: '192.168.0.0/16' },
      target: { networkInterfaceId: 'eni-gone' },
      state: 'blackhole',
    };
    const observation = observe(members, { routesTo: 'a' });
    observation.routeTables[0]!.routes.push(unmanagedDestination);
    observation.routeTables.push(table('rtb-0000000c', [{ ...routeTo('b'), state: 'blackhole' }], true));

    // Act
    const actions = plan(observation);

    // Assess
    expect(actions).toEqual([]);
  });

  it('manages route tables tagged for the group when enabled', () => {
    // Prepare
    const observation = observe(members, { routesTo: 'a' });
    observation.routeTables.push(table('rtb-0000000c', [routeTo('a')], true));

    // Act
    const actions = plan(observation, testConfig({ manageTaggedRouteTables: true }));

    // Assess
    expect(actions).toMatchObject([
      { kind: 'create-route', routeTableId: 'rtb-0000000c', destination: VENDOR_PREFIX_LIST },
    ]);
  });

  it('does not create routes in a managed route table it could not observe', () => {
    // Prepare
    const observation = observe(members, { routesTo: 'a' });
    observation.routeTables = observation.routeTables.filter((t) => t.routeTableId !== TABLE_B);

    // Act
    const actions = plan(observation);

    // Assess
    expect(actions).toEqual([]);
  });

  it('recognises an IPv6 destination written differently by EC2', () => {
    // Prepare
    const ipv6 = { kind: 'ipv6-cidr', value: '2001:db8::/32' } as const;
    const config = testConfig({ routeTableIds: [TABLE_A], destinations: [ipv6] });
    const observed = { ...routeTo('a'), destination: { kind: 'ipv6-cidr', value: '2001:0DB8:0:0::/32' } } as const;
    const observation = observe(members, { routeTables: [table(TABLE_A, [observed])] });

    // Act
    const actions = plan(observation, config);

    // Assess
    expect(actions).toEqual([]);
  });

  it('disables source/dest check on the active gateway ENI before touching routes', () => {
    // Prepare
    const observation = withCidrRouteInTableA(null, {
      members: [gateway('a', { sourceDestCheck: true }), members[1]!],
    });

    // Act
    const actions = plan(observation);

    // Assess
    expect(actions.map((action) => action.kind)).toEqual(['disable-source-dest-check', 'create-route']);
    expect(actions[0]).toMatchObject({
      instanceId: 'i-a',
      networkInterfaceId: 'eni-a',
      after: { sourceDestCheck: false },
    });
  });

  it('moves the EIP to the active gateway when it is elsewhere', () => {
    // Prepare
    const config = testConfig({ eip: { mode: 'keep-on-active', allocationId: 'eipalloc-0000000a' } });
    const elasticIp = {
      allocationId: 'eipalloc-0000000a',
      associationId: 'eipassoc-1',
      networkInterfaceId: 'eni-b',
      instanceId: 'i-b',
    };
    const observation = observe(members, { routesTo: 'a', elasticIp });

    // Act
    const actions = plan(observation, config);

    // Assess
    expect(actions).toMatchObject([
      {
        kind: 'move-eip',
        allocationId: 'eipalloc-0000000a',
        before: { associationId: 'eipassoc-1', networkInterfaceId: 'eni-b', instanceId: 'i-b' },
        after: toA,
      },
    ]);
  });

  it('leaves the EIP alone when it is already on the active gateway or EIP mode is off', () => {
    // Prepare
    const allocationId = 'eipalloc-0000000a';
    const onA = { allocationId, associationId: 'eipassoc-1', networkInterfaceId: 'eni-a', instanceId: 'i-a' };
    const onB = { ...onA, networkInterfaceId: 'eni-b', instanceId: 'i-b' };
    const on = testConfig({ eip: { mode: 'keep-on-active', allocationId } });

    // Act
    const already = plan(observe(members, { routesTo: 'a', elasticIp: onA }), on);
    const off = plan(observe(members, { routesTo: 'a', elasticIp: onB }), testConfig());

    // Assess
    expect([already, off]).toEqual([[], []]);
  });

  it.each(['no-healthy-member', 'refused'] as const)('plans nothing after a %s decision', (outcome) => {
    // Prepare
    const observation = withCidrRouteInTableA({ ...routeTo('old'), state: 'blackhole' });

    // Act
    const actions = plan(observation, testConfig(), { ...activeA, outcome });

    // Assess
    expect(actions).toEqual([]);
  });

  it('gives an action the same id on a replay and a different id for different content', () => {
    // Prepare
    const blackholed = withCidrRouteInTableA({ ...routeTo('old'), state: 'blackhole' });
    const missing = withCidrRouteInTableA(null);

    // Act
    const first = plan(blackholed)[0]?.actionId;
    const replay = plan(structuredClone(blackholed))[0]?.actionId;
    const other = plan(missing)[0]?.actionId;

    // Assess
    expect(first).toBeDefined();
    expect(replay).toBe(first);
    expect(other).not.toBe(first);
  });
});

describe('applyBlastRadius', () => {
  const planOf = (count: number) => {
    const observation = observe(members, { routesTo: 'old' });
    const actions = planRouteChanges(observation, activeA, testConfig()).actions.slice(0, count);
    return { group: 'vendor-vpn', decision: activeA, activeNetworkInterfaceId: 'eni-a', actions };
  };

  it('blocks a plan with more changes than the limit', () => {
    // Prepare
    const routePlan = planOf(4);

    // Act
    const result = applyBlastRadius(routePlan, 3, false);

    // Assess
    expect(result.blocked).toEqual({ reason: 'blast-radius', changes: 4, limit: 3 });
    expect(result.actions).toHaveLength(4);
  });

  it('lets a plan at the limit, or over it with the manual override, through unblocked', () => {
    // Prepare
    const routePlan = { ...planOf(4), blocked: { reason: 'blast-radius' as const, changes: 4, limit: 3 } };

    // Act
    const atLimit = applyBlastRadius(routePlan, 4, false);
    const overridden = applyBlastRadius(routePlan, 3, true);

    // Assess
    expect(atLimit.blocked).toBeUndefined();
    expect(overridden.blocked).toBeUndefined();
  });
});

describe('verifyRoutes', () => {
  it('lists the managed routes not active or not targeting the active ENI', () => {
    // Prepare
    const observation = withCidrRouteInTableA({ ...routeTo('a'), state: 'blackhole' });
    observation.routeTables.push(table('rtb-0000000c', [{ ...routeTo('b'), state: 'blackhole' }]));
    observation.routeTables[1]!.routes = [routeTo('b')];

    // Act
    const unconverged = verifyRoutes(observation, 'eni-a', testConfig());

    // Assess
    expect(unconverged).toEqual([
      { routeTableId: TABLE_A, destination: VENDOR_CIDR, problem: 'blackhole' },
      { routeTableId: TABLE_B, destination: VENDOR_CIDR, problem: 'not-active-gateway' },
      { routeTableId: TABLE_B, destination: VENDOR_PREFIX_LIST, problem: 'missing' },
    ]);
  });

  it('reports a managed route table that could not be observed', () => {
    // Prepare
    const observation = observe(members, { routesTo: 'a' });
    observation.routeTables = [observation.routeTables[0]!];

    // Act
    const unconverged = verifyRoutes(observation, 'eni-a', testConfig({ destinations: [VENDOR_CIDR] }));

    // Assess
    expect(unconverged).toEqual([
      { routeTableId: TABLE_B, destination: VENDOR_CIDR, problem: 'route-table-not-observed' },
    ]);
  });

  it('returns nothing once converged', () => {
    // Prepare
    const observation = observe(members, { routesTo: 'a' });

    // Act
    const unconverged = verifyRoutes(observation, 'eni-a', testConfig());

    // Assess
    expect(unconverged).toEqual([]);
  });
});

describe('reconcileRoutes', () => {
  it('fails over from a terminated gateway and blocks the plan beyond the blast radius unless overridden', () => {
    // Prepare
    const observation = observe([gateway('a', { state: 'terminated' }), gateway('b')], {
      routesTo: 'a',
      record: groupRecord({ activeInstanceId: 'i-a' }),
    });
    const config = testConfig({ maxChangesPerRun: 3 });

    // Act
    const blocked = reconcileRoutes(observation, config);
    const overridden = reconcileRoutes(observation, config, { overrideBlastRadius: true });

    // Assess
    expect(blocked.nextRecord.activeInstanceId).toBe('i-b');
    expect(blocked.plan.blocked).toEqual({ reason: 'blast-radius', changes: 4, limit: 3 });
    expect(overridden.plan.blocked).toBeUndefined();
    expect(overridden.plan.actions.map((action) => [action.kind, action.after])).toEqual(
      Array.from({ length: 4 }, () => ['replace-route', { networkInterfaceId: 'eni-b', instanceId: 'i-b' }]),
    );
  });
});

describe('limitRound', () => {
  it('keeps the first actions for this round and counts the rest as deferred', () => {
    // Prepare
    const plan = {
      group: 'g',
      decision: { outcome: 'switched', trigger: 'automatic', activeBefore: 'i-a', activeAfter: 'i-b', reason: 'r' },
      activeNetworkInterfaceId: 'eni-b',
      actions: ['a1', 'a2', 'a3'].map((actionId) => ({ actionId }) as unknown as PlanAction),
    } as RoutePlan;

    // Act
    const round = limitRound(plan, 2);
    const whole = limitRound(plan, 3);

    // Assess
    expect(round.actions.map((a) => a.actionId)).toEqual(['a1', 'a2']);
    expect(round.deferred).toBe(1);
    expect(whole).toBe(plan);
  });
});
