import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  GroupRecord,
  ObservedPrimaryPath,
  ObservedRoute,
  RouteConfig,
  RouteObservation,
} from '../../functions/core/routes/index.js';
import {
  assessPrimaryPath,
  ConfigurationError,
  parseRouteConfig,
  primaryPathSignalIgnored,
  reconcileRoutes,
  verifyRoutes,
  verifyRoutesOnPrimaryPath,
} from '../../functions/core/routes/index.js';
import { applyPlanToObservation } from './routes-apply-plan.js';
import {
  at,
  gateway,
  groupRecord,
  NOW,
  observe,
  routeTo,
  TABLE_A,
  TABLE_B,
  table,
  testConfig,
  upReport,
  VENDOR_CIDR,
  VENDOR_PREFIX_LIST,
} from './routes-fixtures.js';

const TGW = 'tgw-0123456789abcdef0';
const VPC = 'vpc-0000000a';
const members = [gateway('a', { priority: 1 }), gateway('b', { priority: 2 })];
const primaryConfig = (overrides: Partial<RouteConfig> = {}) =>
  testConfig({
    primaryPath: { kind: 'transit-gateway', id: TGW },
    failback: { mode: 'automatic', stableSeconds: 600 },
    ...overrides,
  });

const viaTgw = (destination: ObservedRoute['destination'] = VENDOR_CIDR, state: ObservedRoute['state'] = 'active') =>
  ({ destination, target: { transitGatewayId: TGW }, state }) as ObservedRoute;

function tgw(state: string | undefined): ObservedPrimaryPath {
  return { kind: 'transit-gateway', id: TGW, exists: true, vpcStates: state === undefined ? {} : { [VPC]: state } };
}

/** Both managed tables in VPC, with routes on the TGW or on eni-a, the TGW attachment in `state`. */
function mixed(
  routesOn: 'tgw' | 'a',
  state: string | undefined,
  record: Partial<GroupRecord> = {},
  routeState: ObservedRoute['state'] = 'active',
): RouteObservation {
  const routes =
    routesOn === 'tgw'
      ? [viaTgw(VENDOR_CIDR, routeState), viaTgw(VENDOR_PREFIX_LIST, routeState)]
      : [routeTo('a'), routeTo('a', VENDOR_PREFIX_LIST)];
  return observe(members, {
    routeTables: [
      { ...table(TABLE_A, routes), vpcId: VPC },
      { ...table(TABLE_B, routes), vpcId: VPC },
    ],
    primaryPath: tgw(state),
    record: groupRecord({ activeInstanceId: 'i-a', ...record }),
  });
}

function errorOf(run: () => unknown): ConfigurationError | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  return undefined;
}

const baseEnv = { GROUP_NAME: 'vendor-vpn', MANAGE_TAGGED_ROUTE_TABLES: 'true', MANAGED_CIDRS: '10.200.0.0/16' };

describe('default routes as managed destinations', () => {
  it.each([
    ['MANAGED_CIDRS', 'VendorCidrs', '10.200.0.0/16,0.0.0.0/0'],
    ['MANAGED_IPV6_CIDRS', 'VendorIpv6Cidrs', '::/0'],
    ['MANAGED_IPV6_CIDRS', 'VendorIpv6Cidrs', '0:0::0/0'],
  ])('refuses a default route in %s, naming it and its template parameter', (variable, parameter, value) => {
    // Act
    const error = errorOf(() => parseRouteConfig({ ...baseEnv, [variable]: value }));

    // Assess
    expect(error?.name).toBe('ConfigurationError');
    expect(error?.variable).toBe(variable);
    expect(error?.message).toContain(parameter);
    expect(error?.message).toMatch(/default route/);
  });

  it('refuses a managed prefix list that contains ::/0 before planning anything', () => {
    // Prepare
    const observation = {
      ...observe(members, { routesTo: 'a' }),
      prefixListEntries: { 'pl-0000000a': ['10.1.0.0/16', '::/0'] },
    };

    // Act
    const error = errorOf(() => reconcileRoutes(observation, testConfig()));

    // Assess
    expect(error?.variable).toBe('MANAGED_PREFIX_LIST_IDS');
    expect(error?.message).toContain('pl-0000000a contains ::/0');
    expect(error?.message).toContain('VendorPrefixListIds');
  });

  it('accepts a managed prefix list of specific CIDRs', () => {
    // Prepare
    const observation = {
      ...observe(members, { routesTo: 'a' }),
      prefixListEntries: { 'pl-0000000a': ['10.1.0.0/16'] },
    };

    // Act
    const { plan } = reconcileRoutes(observation, testConfig());

    // Assess
    expect(plan.actions).toEqual([]);
  });
});

describe('mixed-path configuration', () => {
  it.each([
    ['tgw-0123456789abcdef0', 'transit-gateway'],
    ['vgw-0123abcd', 'vpn-gateway'],
    ['pcx-0123456789abcdef0', 'vpc-peering-connection'],
  ])('reads PRIMARY_PATH_TARGET %s as a %s', (id, kind) => {
    // Act
    const config = parseRouteConfig({ ...baseEnv, PRIMARY_PATH_TARGET: id });

    // Assess
    expect(config.primaryPath).toEqual({ kind, id });
    expect(config.otherTargets).toBe('hold');
  });

  it.each([
    ['PRIMARY_PATH_TARGET', 'igw-0123abcd', 'PrimaryPathTarget'],
    ['OTHER_TARGET_ROUTES', 'keep', 'OtherTargetRoutes'],
  ])('refuses %s=%s naming the parameter', (variable, value, parameter) => {
    // Act
    const error = errorOf(() => parseRouteConfig({ ...baseEnv, [variable]: value }));

    // Assess
    expect(error?.variable).toBe(variable);
    expect(error?.message).toContain(parameter);
  });
});

describe('routes another target holds', () => {
  const observation = () =>
    observe(members, {
      routeTables: [table(TABLE_A, [viaTgw(), routeTo('b', VENDOR_PREFIX_LIST)]), table(TABLE_B, [])],
      record: groupRecord({ activeInstanceId: 'i-a' }),
    });

  it('leaves a managed route on a Transit Gateway alone and reports it as held', () => {
    // Act
    const { plan } = reconcileRoutes(observation(), testConfig());

    // Assess
    expect(plan.held).toEqual([{ routeTableId: TABLE_A, destination: VENDOR_CIDR, heldBy: TGW, state: 'active' }]);
    expect(plan.actions.filter((a) => 'routeTableId' in a && a.routeTableId === TABLE_A)).toMatchObject([
      { kind: 'replace-route', destination: VENDOR_PREFIX_LIST },
    ]);
  });

  it('does not count a held route as unconverged', () => {
    // Act
    const unconverged = verifyRoutes(observation(), 'eni-a', testConfig());

    // Assess
    expect(unconverged.filter((u) => u.routeTableId === TABLE_A).map((u) => u.destination)).toEqual([
      VENDOR_PREFIX_LIST,
    ]);
  });

  it('re-points it under the replace policy', () => {
    // Act
    const { plan } = reconcileRoutes(observation(), testConfig({ otherTargets: 'replace' }));

    // Assess
    expect(plan.held).toBeUndefined();
    expect(plan.actions).toContainEqual(
      expect.objectContaining({
        kind: 'replace-route',
        routeTableId: TABLE_A,
        destination: VENDOR_CIDR,
        reason: 'other-target',
      }),
    );
  });
});

describe('the primary path', () => {
  it('takes the routes to the primary path on its first decision when it is usable', () => {
    // Act
    const { plan, nextRecord } = reconcileRoutes(mixed('a', 'available'), primaryConfig());

    // Assess
    expect(plan.path).toMatchObject({ outcome: 'switched', before: null, after: 'primary', switchKind: 'election' });
    expect(plan.actions).toHaveLength(4);
    expect(plan.actions.every((a) => a.kind === 'route-to-primary-path' && a.after.id === TGW)).toBe(true);
    expect(nextRecord.primaryPath).toEqual({ path: 'primary', usableSince: NOW, failingSince: null });
    expect(nextRecord.lastSwitchAt).toBeNull();
  });

  it('leaves converged routes on a usable primary path', () => {
    // Act
    const { plan } = reconcileRoutes(
      mixed('tgw', 'available', { primaryPath: { path: 'primary', usableSince: at(-3600), failingSince: null } }),
      primaryConfig(),
    );

    // Assess
    expect(plan.path).toMatchObject({ outcome: 'unchanged', after: 'primary' });
    expect(plan.actions).toEqual([]);
    expect(plan.held).toBeUndefined();
  });

  it.each([
    ['deleted', undefined],
    ['deleting', undefined],
    [undefined, undefined],
    ['available', 'blackhole' as const],
  ])('fails over to the active gateway at once when the attachment is %s (route %s)', (state, routeState) => {
    // Prepare
    const record = {
      primaryPath: { path: 'primary' as const, usableSince: at(-3600), failingSince: null },
      lastSwitchAt: at(-10),
    };

    // Act
    const { plan, nextRecord } = reconcileRoutes(mixed('tgw', state, record, routeState ?? 'active'), primaryConfig());

    // Assess
    expect(plan.path).toMatchObject({ outcome: 'switched', after: 'gateway', switchKind: 'failover' });
    expect(plan.path?.health.verdict).toBe('dead');
    expect(plan.actions.filter((a) => a.kind === 'replace-route')).toHaveLength(4);
    expect(plan.actions).toContainEqual(
      expect.objectContaining({
        kind: 'replace-route',
        reason: 'on-primary-path',
        after: { networkInterfaceId: 'eni-a', instanceId: 'i-a' },
      }),
    );
    expect(nextRecord.primaryPath?.path).toBe('gateway');
    expect(nextRecord.lastSwitchAt).toBe(NOW);
  });

  it('confirms a transitional attachment state before failing over', () => {
    // Prepare
    const record = { primaryPath: { path: 'primary' as const, usableSince: at(-3600), failingSince: null } };

    // Act
    const first = reconcileRoutes(mixed('tgw', 'modifying', record), primaryConfig());
    const confirmed = reconcileRoutes(
      { ...mixed('tgw', 'modifying', first.nextRecord), now: at(60) },
      primaryConfig(),
      { confirming: true },
    );

    // Assess
    expect(first.plan.path).toMatchObject({ outcome: 'confirm', after: 'primary' });
    expect(first.plan.actions).toEqual([]);
    expect(first.nextRecord.primaryPath?.failingSince).toBe(NOW);
    expect(confirmed.plan.path).toMatchObject({ outcome: 'switched', after: 'gateway' });
  });

  it('keeps the routes on a failed primary path when no gateway is healthy', () => {
    // Prepare
    const record = { primaryPath: { path: 'primary' as const, usableSince: at(-3600), failingSince: null } };
    const observation = { ...mixed('tgw', 'deleted', record), agentReports: [] };

    // Act
    const { plan } = reconcileRoutes(observation, primaryConfig());

    // Assess
    expect(plan.decision.outcome).toBe('no-healthy-member');
    expect(plan.path).toMatchObject({ outcome: 'unchanged', after: 'primary' });
    expect(plan.actions).toEqual([]);
  });

  it('records the gateway path on a first decision when the primary is unusable and no gateway is healthy', () => {
    // Prepare
    const observation = { ...mixed('a', 'deleted', { activeInstanceId: null }), agentReports: [] };

    // Act
    const { plan, nextRecord } = reconcileRoutes(observation, primaryConfig());

    // Assess
    expect(plan.decision.outcome).toBe('no-healthy-member');
    expect(plan.path).toMatchObject({ outcome: 'unchanged', after: 'gateway' });
    expect(plan.actions).toEqual([]);
    expect(nextRecord.primaryPath?.path).toBe('gateway');
  });

  it('fails back once the primary path has been usable for FailbackStableSeconds', () => {
    // Prepare
    const onGateway = { path: 'gateway' as const, usableSince: null, failingSince: null };

    // Act
    const seen = reconcileRoutes(
      mixed('a', 'available', { primaryPath: onGateway, lastSwitchAt: at(-900) }),
      primaryConfig(),
    );
    const later = (seconds: number) => ({
      ...mixed('a', 'available', seen.nextRecord),
      now: at(seconds),
      agentReports: [
        upReport('a', { reportedAt: at(seconds), receivedAt: at(seconds) }),
        upReport('b', { reportedAt: at(seconds), receivedAt: at(seconds) }),
      ],
    });
    const early = reconcileRoutes(later(599), primaryConfig());
    const due = reconcileRoutes(later(600), primaryConfig());

    // Assess
    expect(seen.plan.path?.reason).toContain('failback in 600 s');
    expect(early.plan.actions).toEqual([]);
    expect(due.plan.path).toMatchObject({ outcome: 'switched', after: 'primary', switchKind: 'failback' });
    expect(due.plan.actions.filter((a) => a.kind === 'route-to-primary-path')).toHaveLength(4);
    expect(due.nextRecord.lastSwitchAt).toBe(at(600));
  });

  it('does not fail back within the cooldown of the last switch', () => {
    // Prepare
    const record = {
      primaryPath: { path: 'gateway' as const, usableSince: at(-900), failingSince: null },
      lastSwitchAt: at(-60),
    };

    // Act
    const { plan } = reconcileRoutes(mixed('a', 'available', record), primaryConfig());

    // Assess
    expect(plan.path?.outcome).toBe('cooldown');
    expect(plan.actions).toEqual([]);
  });

  it('fails back only on request in manual failback mode, and the operator may', () => {
    // Prepare
    const record = { primaryPath: { path: 'gateway' as const, usableSince: at(-900), failingSince: null } };
    const config = primaryConfig({ failback: { mode: 'manual', stableSeconds: 600 } });

    // Act
    const automatic = reconcileRoutes(mixed('a', 'available', record), config);
    const operator = reconcileRoutes(mixed('a', 'available', record), config, { operation: { kind: 'failback' } });

    // Assess
    expect(automatic.plan.path?.reason).toContain('failback is manual');
    expect(automatic.plan.actions).toEqual([]);
    expect(operator.plan.path).toMatchObject({ outcome: 'switched', after: 'primary', switchKind: 'failback' });
    expect(operator.plan.decision.activeAfter).toBe('i-a');
  });

  it('moves the routes off the primary path on an operator failover, keeping the active gateway', () => {
    // Prepare
    const record = { primaryPath: { path: 'primary' as const, usableSince: at(-900), failingSince: null } };

    // Act
    const { plan } = reconcileRoutes(mixed('tgw', 'available', record), primaryConfig(), {
      operation: { kind: 'failover' },
    });

    // Assess
    expect(plan.decision.activeAfter).toBe('i-a');
    expect(plan.path).toMatchObject({ outcome: 'switched', after: 'gateway', switchKind: 'failover' });
    expect(plan.actions.filter((a) => a.kind === 'replace-route')).toHaveLength(4);
  });

  it('verifies routes on the primary path', () => {
    // Prepare
    const observation = mixed('tgw', 'available');
    observation.routeTables[1]!.routes = [routeTo('a')];

    // Act
    const unconverged = verifyRoutesOnPrimaryPath(observation, TGW, primaryConfig());

    // Assess
    expect(unconverged).toEqual([
      { routeTableId: TABLE_B, destination: VENDOR_CIDR, problem: 'off-primary-path' },
      { routeTableId: TABLE_B, destination: VENDOR_PREFIX_LIST, problem: 'missing' },
    ]);
  });

  it('does not hold routes on the primary path, whatever the policy', () => {
    // Act
    const { plan } = reconcileRoutes(
      { ...mixed('tgw', 'available'), agentReports: [upReport('a'), upReport('b')] },
      primaryConfig(),
    );

    // Assess
    expect(plan.held).toBeUndefined();
  });
});

describe('assessPrimaryPath', () => {
  const withPath = (
    kind: ObservedPrimaryPath['kind'],
    id: string,
    vpcStates: Record<string, string>,
    exists = true,
  ) => ({
    observation: { ...mixed('a', undefined), primaryPath: { kind, id, exists, vpcStates } },
    config: testConfig({ primaryPath: { kind, id } }),
  });

  it.each([
    ['vpn-gateway', 'vgw-0000000a', 'attached', 'usable'],
    ['vpn-gateway', 'vgw-0000000a', 'attaching', 'soft-failed'],
    ['vpn-gateway', 'vgw-0000000a', 'detaching', 'dead'],
    ['vpn-gateway', 'vgw-0000000a', 'detached', 'dead'],
    ['vpc-peering-connection', 'pcx-0000000a', 'active', 'usable'],
    ['vpc-peering-connection', 'pcx-0000000a', 'provisioning', 'soft-failed'],
    ['vpc-peering-connection', 'pcx-0000000a', 'deleted', 'dead'],
    ['vpc-peering-connection', 'pcx-0000000a', 'expired', 'dead'],
    ['transit-gateway', TGW, 'modifying', 'soft-failed'],
    ['transit-gateway', TGW, 'failed', 'dead'],
  ] as const)('judges %s %s in state %s as %s', (kind, id, state, verdict) => {
    // Prepare
    const { observation, config } = withPath(kind, id, { [VPC]: state });

    // Act
    const health = assessPrimaryPath(observation, config);

    // Assess
    expect(health?.verdict).toBe(verdict);
    if (verdict !== 'usable') expect(health?.reasons.join()).toContain(`in ${VPC} is ${state}`);
  });

  it('judges a path that does not exist, or has no attachment in a managed VPC, as dead', () => {
    // Act
    const gone = assessPrimaryPath(
      ...(Object.values(withPath('vpn-gateway', 'vgw-0000000a', {}, false)) as [RouteObservation, RouteConfig]),
    );
    const elsewhere = assessPrimaryPath(
      ...(Object.values(withPath('transit-gateway', TGW, { 'vpc-0000000b': 'available' })) as [
        RouteObservation,
        RouteConfig,
      ]),
    );

    // Assess
    expect(gone).toEqual({ verdict: 'dead', reasons: ['virtual private gateway vgw-0000000a does not exist'] });
    expect(elsewhere).toEqual({ verdict: 'dead', reasons: [`Transit Gateway ${TGW} has no attachment in ${VPC}`] });
  });

  it('is not asked without a primary path', () => {
    // Act
    const health = assessPrimaryPath(mixed('a', 'available'), testConfig());

    // Assess
    expect(health).toBeNull();
  });
});

describe('primary path properties', () => {
  const stateArb = fc.constantFrom(
    undefined,
    'available',
    'available',
    'available',
    'modifying',
    'deleting',
    'deleted',
  );
  const recordArb = fc.record({
    primaryPath: fc.option(
      fc.record({
        path: fc.constantFrom<'primary' | 'gateway'>('primary', 'gateway'),
        usableSince: fc.option(fc.constantFrom(at(-1200), at(-60))),
        failingSince: fc.option(fc.constantFrom(at(-120), at(-10))),
      }),
    ),
    lastSwitchAt: fc.option(fc.constantFrom(at(-1200), at(-60))),
  });
  const requestArb = fc.constantFrom<Parameters<typeof reconcileRoutes>[2]>(
    {},
    { confirming: true },
    { operation: { kind: 'repair' } },
    { operation: { kind: 'failover' } },
    { operation: { kind: 'failback' } },
  );
  const inputArb = fc.record({
    routesOn: fc.constantFrom<'tgw' | 'a'>('tgw', 'a'),
    state: stateArb,
    routeState: fc.constantFrom<ObservedRoute['state']>('active', 'active', 'blackhole'),
    record: recordArb,
    reports: fc.boolean(),
    mode: fc.constantFrom<'automatic' | 'manual'>('automatic', 'manual'),
    request: requestArb,
  });

  it('leaves every managed route on the primary path only when it is chosen, else on the active gateway, or as it was', () => {
    fc.assert(
      fc.property(inputArb, ({ routesOn, state, routeState, record, reports, mode, request }) => {
        // Prepare
        const observation = mixed(routesOn, state, record, routeState);
        if (!reports) observation.agentReports = [];
        const config = primaryConfig({ failback: { mode, stableSeconds: 600 } });

        // Act
        const { plan, health } = {
          ...reconcileRoutes(observation, config, request),
          health: assessPrimaryPath(observation, config),
        };
        const applied = applyPlanToObservation(observation, plan.actions);
        const targets = applied.routeTables.flatMap((t) => t.routes.map((r) => r.target));

        // Assess
        const path = plan.path!;
        if (path.outcome === 'switched' && path.after === 'primary') expect(health?.verdict).toBe('usable');
        if (path.outcome === 'refused') expect(plan.actions).toEqual([]);
        else if (path.after === 'primary' && health?.verdict === 'usable') {
          expect(targets.every((t) => t.transitGatewayId === TGW)).toBe(true);
        } else if (path.after === 'primary') expect(plan.actions.filter((a) => 'routeTableId' in a)).toEqual([]);
        else if (plan.activeNetworkInterfaceId !== null) {
          expect(targets.every((t) => t.networkInterfaceId === plan.activeNetworkInterfaceId)).toBe(true);
        } else expect(plan.actions).toEqual([]);
        expect(plan.actions.some((a) => a.kind === 'route-to-primary-path')).toBe(
          path.after === 'primary' && routesOn === 'a' && path.outcome !== 'refused' && health?.verdict === 'usable',
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('primaryPathSignalIgnored', () => {
  const tgwArn = (id: string) => `arn:aws:ec2:eu-west-2:123456789012:transit-gateway/${id}`;
  const primary = { kind: 'transit-gateway' as const, id: TGW };

  it('ignores every signal when no primary path is configured', () => {
    // Act
    const ignored = primaryPathSignalIgnored({ signal: 'cloudtrail', name: 'DetachVpnGateway', resources: [] }, null);

    // Assess
    expect(ignored).toBe('DetachVpnGateway: no primary path is configured');
  });

  it('ignores a Network Manager change naming another Transit Gateway, not one naming ours', () => {
    // Act
    const other = primaryPathSignalIgnored(
      { signal: 'network-manager', name: 'VPC-ATTACHMENT-DELETED', resources: [tgwArn('tgw-0000000000000000b')] },
      primary,
    );
    const ours = primaryPathSignalIgnored(
      { signal: 'network-manager', name: 'VPC-ATTACHMENT-DELETED', resources: [tgwArn(TGW)] },
      primary,
    );

    // Assess
    expect(other).toBe(`VPC-ATTACHMENT-DELETED concerns another transit gateway, not ${TGW}`);
    expect(ours).toBeNull();
  });

  it('always looks after an API call, whose parameters name attachments rather than paths', () => {
    // Act
    const ignored = primaryPathSignalIgnored(
      { signal: 'cloudtrail', name: 'DeleteTransitGatewayVpcAttachment', resources: [] },
      primary,
    );

    // Assess
    expect(ignored).toBeNull();
  });
});
