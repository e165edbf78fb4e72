import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AgentReport,
  DecisionRequest,
  GatewayMember,
  ObservedRoute,
  ObservedRouteTable,
  RouteConfig,
  RouteDestination,
  RouteObservation,
  RouteTarget,
} from '../../functions/core/routes/index.js';
import {
  assessHealth,
  chooseActiveGateway,
  destinationKey,
  managedRouteTableIds,
  planRouteChanges,
  verifyRoutes,
} from '../../functions/core/routes/index.js';
import { applyPlanToObservation } from './routes-apply-plan.js';
import { at, GROUP, NOW, testConfig } from './routes-fixtures.js';

const NAMES = ['a', 'b', 'c', 'd'];
const TABLES = ['rtb-0000000a', 'rtb-0000000b', 'rtb-0000000c', 'rtb-0000000d'];
const DESTINATIONS: RouteDestination[] = [
  { kind: 'ipv4-cidr', value: '10.10.0.0/16' },
  { kind: 'ipv4-cidr', value: '192.168.0.0/16' },
  { kind: 'ipv6-cidr', value: '2001:db8::/32' },
  { kind: 'prefix-list', value: 'pl-0000000a' },
  { kind: 'prefix-list', value: 'pl-0000000b' },
];
const ALLOCATION = 'eipalloc-0000000a';

const nonEmptySubset = <T>(items: T[]) => fc.subarray(items, { minLength: 1 });
const offset = (max: number) => fc.integer({ min: -max, max: 0 }).map(at);
/** Picks a value with the given relative weights (mostly healthy topologies, some broken). */
const weighted = <T>(...choices: Array<[T, number]>) =>
  fc.oneof(...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));

const memberArb = (name: string): fc.Arbitrary<GatewayMember> =>
  fc.record({
    instanceId: fc.constant(`i-${name}`),
    state: weighted<GatewayMember['state']>(
      ['running', 40],
      ['pending', 1],
      ['stopping', 1],
      ['stopped', 1],
      ['terminated', 1],
    ),
    systemStatus: weighted<GatewayMember['systemStatus']>(['ok', 30], ['impaired', 1], ['initializing', 1]),
    instanceStatus: weighted<GatewayMember['instanceStatus']>(['ok', 30], ['impaired', 1], ['insufficient-data', 1]),
    primaryNetworkInterfaceId: weighted<string | null>([`eni-${name}`, 30], [null, 1]),
    sourceDestCheck: fc.boolean(),
    priority: fc.option(fc.integer({ min: 0, max: 3 })),
    publicIp: fc.constant(null),
    eipAssociationId: fc.constant(null),
  });

const reportArb = (instanceId: string): fc.Arbitrary<AgentReport> =>
  fc.record({
    instanceId: fc.constant(instanceId),
    tunnels: fc.array(
      fc.record({
        name: fc.constantFrom('t1', 't2'),
        status: weighted<'up' | 'down'>(['up', 5], ['down', 1]),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    bgp: weighted<AgentReport['bgp']>(['up', 8], ['down', 1], ['unknown', 1]),
    reportedAt: offset(200),
    receivedAt: offset(200),
  });

/** Where an ENI is: attached to its own instance, detached, elsewhere, or gone. */
const attachmentArb = (instanceId: string) =>
  weighted<string | null | undefined>([instanceId, 30], [null, 1], ['i-outsider', 1], [undefined, 1]);

const targetArb: fc.Arbitrary<RouteTarget> = fc.oneof(
  fc.constantFrom(...NAMES).map((name) => ({ networkInterfaceId: `eni-${name}`, instanceId: `i-${name}` })),
  fc.constantFrom(...NAMES).map((name) => ({ networkInterfaceId: `eni-${name}` })),
  fc.constantFrom(
    { networkInterfaceId: 'eni-old' },
    { instanceId: 'i-a' },
    { gatewayId: 'igw-1' },
    { transitGatewayId: 'tgw-1' },
  ),
);

const routeArb = (destination: RouteDestination): fc.Arbitrary<ObservedRoute> =>
  fc.record({
    // EC2 may spell an IPv6 destination differently from the configuration.
    destination: fc.constantFrom(
      destination,
      destination.kind === 'ipv6-cidr' ? { ...destination, value: '2001:0DB8:0::/32' } : destination,
    ),
    target: targetArb,
    state: fc.constantFrom('active', 'active', 'blackhole'),
  });

const tableArb = (routeTableId: string): fc.Arbitrary<ObservedRouteTable> =>
  fc.record({
    routeTableId: fc.constant(routeTableId),
    taggedForGroup: fc.boolean(),
    routes: fc
      .tuple(...DESTINATIONS.map((destination) => fc.option(routeArb(destination), { nil: undefined })))
      .map((routes) => routes.filter((route) => route !== undefined)),
  });

const configArb: fc.Arbitrary<RouteConfig> = fc
  .record({
    routeTableIds: nonEmptySubset(TABLES),
    manageTaggedRouteTables: fc.boolean(),
    destinations: nonEmptySubset(DESTINATIONS),
    requireAgentReports: fc.boolean(),
    confirmationDelaySeconds: fc.constantFrom(0, 60, 60, 60),
    corroboratedConfirmationSeconds: fc.constantFrom(0, 4),
    cooldownSeconds: fc.constantFrom(0, 300, 300),
    failback: fc.record({ mode: fc.constantFrom('automatic', 'manual'), stableSeconds: fc.constantFrom(0, 600) }),
    eip: fc.constantFrom<RouteConfig['eip']>({ mode: 'off' }, { mode: 'keep-on-active', allocationId: ALLOCATION }),
    otherTargets: fc.constantFrom<RouteConfig['otherTargets']>('hold', 'replace', undefined),
  })
  .map((overrides) =>
    testConfig({
      ...overrides,
      corroboratedConfirmationSeconds: Math.min(
        overrides.corroboratedConfirmationSeconds,
        overrides.confirmationDelaySeconds,
      ),
    }),
  );

const observationArb: fc.Arbitrary<RouteObservation> = fc
  .uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 })
  .chain((names) =>
    fc.record({
      members: fc.tuple(...names.map(memberArb)),
      agentReports: fc
        .tuple(...names.map((name) => fc.option(reportArb(`i-${name}`), { nil: undefined, freq: 6 })))
        .map((reports) => reports.filter((report) => report !== undefined)),
      attachments: fc.tuple(...names.map((name) => attachmentArb(`i-${name}`))),
      oldEni: attachmentArb('i-old'),
      routeTables: fc
        .tuple(...TABLES.map((id) => fc.option(tableArb(id), { nil: undefined, freq: 6 })))
        .map((tables) => tables.filter((t) => t !== undefined)),
      eipOn: fc.option(fc.constantFrom(...names.map((name) => `eni-${name}`), 'eni-old')),
      record: fc.record({
        group: fc.constant(GROUP),
        activeInstanceId: fc.option(fc.constantFrom(...names.map((name) => `i-${name}`), 'i-gone')),
        lastSwitchAt: fc.option(offset(600)),
        preferredHealthySince: fc.option(fc.record({ instanceId: fc.constantFrom('i-a', 'i-b'), since: offset(1200) })),
        pendingSoftFailure: fc.option(
          fc.record({ instanceId: fc.constantFrom('i-a', 'i-b'), firstSeenAt: offset(120) }),
        ),
      }),
    }),
  )
  .map(({ members, agentReports, attachments, oldEni, routeTables, eipOn, record }) => {
    const enis: Array<[string, string | null | undefined]> = [
      ...members.map(
        (member, index) =>
          [`eni-${member.instanceId.slice(2)}`, attachments[index]] as [string, string | null | undefined],
      ),
      ['eni-old', oldEni],
    ];
    const networkInterfaces = Object.fromEntries(enis.filter(([, attachment]) => attachment !== undefined)) as Record<
      string,
      string | null
    >;
    const elasticIp = {
      allocationId: ALLOCATION,
      associationId: eipOn ? 'eipassoc-1' : null,
      networkInterfaceId: eipOn,
      instanceId: null,
    };
    return { group: GROUP, now: NOW, members, agentReports, networkInterfaces, routeTables, elasticIp, record };
  });

const requestArb: fc.Arbitrary<DecisionRequest> = fc.record({
  confirming: fc.boolean(),
  operation: fc.option(
    fc.oneof(
      fc.constant({ kind: 'repair' as const }),
      fc.constant({ kind: 'failback' as const }),
      fc.record({ kind: fc.constant('failover' as const), targetInstanceId: fc.constantFrom('i-a', 'i-b', 'i-x') }),
    ),
    { nil: undefined },
  ),
});

function reconcile(observation: RouteObservation, config: RouteConfig, request: DecisionRequest) {
  const health = assessHealth(observation, config);
  const { decision } = chooseActiveGateway(observation, health, config, request);
  const plan = planRouteChanges(observation, decision, config);
  return { health, decision, plan, applied: applyPlanToObservation(observation, plan.actions) };
}

const routeTablesOf = (observation: RouteObservation) => observation.routeTables;

// The test's own reading of "managed route on the active ENI", independent of the core's classifier.
const SPELLINGS: Record<string, string> = { '2001:0db8:0::/32': '2001:db8::/32' };
const spelled = (destination: RouteDestination) =>
  `${destination.kind}:${SPELLINGS[destination.value.toLowerCase()] ?? destination.value.toLowerCase()}`;

/** Under the hold policy (the default), a route on a gateway or Transit Gateway is not the reconciler's to move. */
function heldByOtherTarget(route: ObservedRoute | undefined, config: RouteConfig): boolean {
  const other = route?.target.gatewayId !== undefined || route?.target.transitGatewayId !== undefined;
  return other && config.otherTargets !== 'replace';
}

/** Managed routes (in observed managed tables) that are not active on `eni`, except held ones. */
function routesOffTarget(observation: RouteObservation, config: RouteConfig, eni: string): string[] {
  const tables = observation.routeTables.filter(
    (t) => config.routeTableIds.includes(t.routeTableId) || (config.manageTaggedRouteTables && t.taggedForGroup),
  );
  return tables.flatMap((t) =>
    config.destinations.flatMap((destination) => {
      const route = t.routes.find((r) => spelled(r.destination) === spelled(destination));
      const onTarget = route?.state === 'active' && route.target.networkInterfaceId === eni;
      return onTarget || heldByOtherTarget(route, config) ? [] : [`${t.routeTableId} ${spelled(destination)}`];
    }),
  );
}

describe('route reconciler properties', () => {
  it('promise 1: a confirmed automatic run leaves every managed route on a healthy member, or all routes as they were', () => {
    fc.assert(
      fc.property(observationArb, configArb, (raw, config) => {
        // Prepare
        const observation = { ...raw, record: { ...raw.record, lastSwitchAt: null } };

        // Act
        const { health, decision, plan, applied } = reconcile(observation, config, { confirming: true });

        // Assess
        if (decision.outcome === 'no-healthy-member') {
          expect(health.every((member) => member.verdict !== 'healthy')).toBe(true);
          expect(plan.actions).toEqual([]);
          expect(routeTablesOf(applied)).toEqual(routeTablesOf(observation));
          return;
        }
        expect(['switched', 'unchanged']).toContain(decision.outcome);
        const active = health.find((member) => member.instanceId === decision.activeAfter);
        expect(active?.verdict).toBe('healthy');
        const eni = observation.members.find((m) => m.instanceId === active?.instanceId)?.primaryNetworkInterfaceId;
        expect(eni && applied.networkInterfaces[eni]).toBe(active?.instanceId);
        expect(routesOffTarget(applied, config, eni ?? '')).toEqual([]);
        expect(
          verifyRoutes(applied, eni ?? '', config).filter((p) => p.problem !== 'route-table-not-observed'),
        ).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('promise 1: any run leaves managed routes on a live active gateway, or exactly as they were', () => {
    fc.assert(
      fc.property(observationArb, configArb, requestArb, (observation, config, request) => {
        // Act
        const { health, decision, plan, applied } = reconcile(observation, config, request);

        // Assess
        if (plan.activeNetworkInterfaceId === null) {
          expect(['no-healthy-member', 'refused']).toContain(decision.outcome);
          expect(plan.actions).toEqual([]);
          return;
        }
        const active = health.find((member) => member.instanceId === decision.activeAfter);
        const expected = decision.outcome === 'switched' ? ['healthy'] : ['healthy', 'soft-failed'];
        expect(expected).toContain(active?.verdict);
        expect(routesOffTarget(applied, config, plan.activeNetworkInterfaceId)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('routes a gateway or Transit Gateway holds are never named by an action under the hold policy', () => {
    fc.assert(
      fc.property(observationArb, configArb, requestArb, (observation, config, request) => {
        // Prepare
        const held = new Set(
          observation.routeTables.flatMap((t) =>
            t.routes
              .filter((r) => heldByOtherTarget(r, config))
              .map((r) => `${t.routeTableId} ${spelled(r.destination)}`),
          ),
        );

        // Act
        const { plan } = reconcile(observation, config, request);

        // Assess
        for (const action of plan.actions) {
          if (!('routeTableId' in action)) continue;
          expect(held.has(`${action.routeTableId} ${spelled(action.destination)}`)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('promise 2: no action names an unmanaged route table or destination, and unmanaged routes stay as they were', () => {
    fc.assert(
      fc.property(observationArb, configArb, requestArb, (observation, config, request) => {
        // Prepare
        const managedTables = new Set(managedRouteTableIds(config, observation));
        const managedDestinations = new Set(config.destinations.map(destinationKey));
        const isManaged = (tableId: string, destination: RouteDestination) =>
          managedTables.has(tableId) && managedDestinations.has(destinationKey(destination));

        // Act
        const { plan, applied } = reconcile(observation, config, request);

        // Assess
        for (const action of plan.actions) {
          if (action.kind === 'replace-route' || action.kind === 'create-route') {
            expect(isManaged(action.routeTableId, action.destination)).toBe(true);
          }
          if (action.kind === 'move-eip') expect(action.allocationId).toBe(ALLOCATION);
        }
        const unmanaged = (o: RouteObservation) =>
          o.routeTables.flatMap((t) =>
            t.routes.filter((r) => !isManaged(t.routeTableId, r.destination)).map((r) => [t.routeTableId, r]),
          );
        expect(unmanaged(applied)).toEqual(unmanaged(observation));
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent: planning again after applying the plan yields no action', () => {
    fc.assert(
      fc.property(observationArb, configArb, requestArb, (observation, config, request) => {
        // Prepare
        const { decision, applied } = reconcile(observation, config, request);

        // Act
        const replanned = planRouteChanges(applied, decision, config);

        // Assess
        expect(replanned.actions).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('never names a dead member, or an ENI not attached to its instance, as the target', () => {
    fc.assert(
      fc.property(observationArb, configArb, requestArb, (observation, config, request) => {
        // Act
        const { health, plan } = reconcile(observation, config, request);

        // Assess
        for (const action of plan.actions) {
          if (action.kind === 'route-to-primary-path') continue;
          const target = action.kind === 'disable-source-dest-check' ? action : action.after;
          const verdict = health.find((member) => member.instanceId === target.instanceId)?.verdict;
          expect(verdict === 'healthy' || verdict === 'soft-failed').toBe(true);
          expect(observation.networkInterfaces[target.networkInterfaceId]).toBe(target.instanceId);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
